using System.Collections.Concurrent;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Persistence;

namespace AgentGrains.Tests.Runtime;

public interface ITurnGrain : IGrainWithStringKey
{
    Task<long> AddAsync(long amount);

    Task QueueAfterCommitAsync(long amount);

    Task FailAsync();

    Task RefuseAsync();

    [ReadOnly]
    Task<long> GetAsync();

    [ReadOnly]
    Task<IReadOnlyList<string>> GetEventsAsync();
}

/// <summary>What the turn test grains observed, shared with the test through DI.</summary>
public sealed class TurnProbe
{
    /// <summary>The latest instance of each grain (by key): tests call its public turn methods as a driver would.</summary>
    public ConcurrentDictionary<string, TurnGrain> Instances { get; } = new();

    /// <summary>The labels of the queued turns whose delegate started, in order.</summary>
    public ConcurrentQueue<string> Ran { get; } = new();

    public ConcurrentQueue<string> Deactivated { get; } = new();

    public ConcurrentDictionary<string, Task<string?>> AfterCommit { get; } = new();
}

public sealed class TurnGrain(
    [PersistentState("turns")] IPersistentState<CounterState> state,
    [PersistentLog("events")] IPersistentLog<string> events,
    TurnProbe probe) : Grain, ITurnGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        probe.Instances[GrainId.Key] = this;
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(CancellationToken cancellationToken)
    {
        probe.Deactivated.Enqueue(GrainId.Key);
        return Task.CompletedTask;
    }

    public async Task<long> AddAsync(long amount)
    {
        state.State.Total += amount;
        await state.WriteStateAsync();
        events.Append($"m{amount}");
        return state.State.Total;
    }

    public async Task QueueAfterCommitAsync(long amount)
    {
        state.State.Total += amount;
        await state.WriteStateAsync();
        // Not awaited: the queued turn runs after this one has committed.
        probe.AfterCommit[GrainId.Key] = RunTurnAsync(() => Task.FromResult(state.Etag));
    }

    public async Task FailAsync()
    {
        // Staged, then thrown: the runtime must drop the write and reset the activation.
        state.State.Total += 1000;
        await state.WriteStateAsync();
        throw new InvalidOperationException("failing on purpose");
    }

    public Task RefuseAsync() => throw new ArgumentException("refused before staging anything");

    public Task<long> GetAsync() => Task.FromResult(state.State.Total);

    public Task<IReadOnlyList<string>> GetEventsAsync() => events.ReadAsync(0, 100);

    /// <summary>What a driver does between steps: journal a result in a turn of its own.</summary>
    public Task<long> AddInTurnAsync(long amount, string label, Task? gate = null) =>
        RunTurnAsync(async () =>
        {
            probe.Ran.Enqueue(label);
            if (gate is not null)
            {
                await gate;
            }

            state.State.Total += amount;
            await state.WriteStateAsync();
            events.Append(label);
            return state.State.Total;
        });

    public Task FailInTurnAsync(string label) =>
        RunTurnAsync(async () =>
        {
            probe.Ran.Enqueue(label);
            state.State.Total += 1000;
            await state.WriteStateAsync();
            events.Append(label);
            throw new InvalidOperationException("turn failed on purpose");
        });
}
