using System.Collections.Concurrent;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Persistence;

namespace AgentGrains.Tests.Runtime;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<long> AddAsync(long amount);

    Task<long> AddThenFailAsync(long amount);

    Task<long> RecordAsync(int sequence);

    Task<long> WaitForGateAsync();

    Task FailWithConflictAsync();

    [ReadOnly]
    Task<long> GetAsync();

    [ReadOnly]
    Task<IReadOnlyList<int>> GetRecordedAsync();
}

public sealed class CounterState
{
    public long Total { get; set; }

    public int Calls { get; set; }
}

public sealed class TestConflictException(string message) : AgentGrainsException(message)
{
    public override bool IsTransient => false;
}

/// <summary>What the test grains observed, shared with the test through DI.</summary>
public sealed class Probe
{
    private int inFlight;
    private int maxInFlight;

    public ConcurrentQueue<int> Order { get; } = new();

    public int MaxConcurrentTurns => Volatile.Read(ref maxInFlight);

    private int processed;

    public int Processed => Volatile.Read(ref processed);

    public void CountProcessed() => Interlocked.Increment(ref processed);

    public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource GateEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Enter()
    {
        var now = Interlocked.Increment(ref inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
        {
        }
    }

    public void Exit() => Interlocked.Decrement(ref inFlight);
}

public sealed class CounterGrain(
    [PersistentState("counter")] IPersistentState<CounterState> state,
    [PersistentLog("records")] IPersistentLog<int> records,
    Probe probe) : Grain, ICounterGrain
{
    public async Task<long> AddAsync(long amount)
    {
        probe.Enter();
        try
        {
            await Task.Yield();
            state.State.Total += amount;
            state.State.Calls++;
            probe.CountProcessed();
            await state.WriteStateAsync();
            return state.State.Total;
        }
        finally
        {
            probe.Exit();
        }
    }

    public async Task<long> AddThenFailAsync(long amount)
    {
        state.State.Total += amount;
        await state.WriteStateAsync();
        records.Append(-1);
        throw new ArgumentException($"refusing {amount}");
    }

    public async Task<long> RecordAsync(int sequence)
    {
        probe.Enter();
        try
        {
            // Give any other turn a chance to run now if the mailbox let it.
            await Task.Delay(1);
            probe.Order.Enqueue(sequence);
            records.Append(sequence);
            state.State.Calls++;
            await state.WriteStateAsync();
            return records.Count;
        }
        finally
        {
            probe.Exit();
        }
    }

    public async Task<long> WaitForGateAsync()
    {
        probe.GateEntered.TrySetResult();
        await probe.Gate.Task;
        state.State.Total += 1000;
        await state.WriteStateAsync();
        return state.State.Total;
    }

    public Task FailWithConflictAsync() => throw new TestConflictException("conflict in " + this.GetPrimaryKeyString());

    public Task<long> GetAsync() => Task.FromResult(state.State.Total);

    public async Task<IReadOnlyList<int>> GetRecordedAsync() => await records.ReadAsync(0, int.MaxValue);
}
