using System.Collections.Concurrent;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Persistence;

namespace AgentGrains.Tests.Runtime.Cluster;

public interface IClusterCounterGrain : IGrainWithStringKey
{
    Task<long> IncrementAsync(int sender);

    Task<long> WaitForGateAsync();

    [ReadOnly]
    Task<long> GetAsync();

    [ReadOnly]
    Task<string> GetSiloAsync();
}

public sealed class ClusterCounterState
{
    public long Count { get; set; }
}

/// <summary>Shared by every silo of a test cluster: sees every turn, wherever it runs.</summary>
public sealed class ClusterProbe
{
    private readonly ConcurrentDictionary<string, (string Silo, long Epoch)> running = new();
    private readonly ConcurrentDictionary<string, int> turns = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    public ConcurrentDictionary<string, HashSet<string>> SilosPerGrain { get; } = new();

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource GateEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Turns(string grain) => turns.GetValueOrDefault(grain);

    public void Enter(string grain, string silo, long epoch)
    {
        if (!running.TryAdd(grain, (silo, epoch)))
        {
            Violations.Enqueue($"{grain} entered a turn on {silo} (epoch {epoch}) while running on {running[grain]}");
        }

        turns.AddOrUpdate(grain, 1, static (_, n) => n + 1);
        var set = SilosPerGrain.GetOrAdd(grain, static _ => []);
        lock (set)
        {
            set.Add(silo);
        }
    }

    public void Exit(string grain) => running.TryRemove(grain, out _);
}

public sealed class ClusterCounterGrain(
    [PersistentState("counter")] IPersistentState<ClusterCounterState> state,
    ClusterProbe probe) : Grain, IClusterCounterGrain
{
    public async Task<long> IncrementAsync(int sender)
    {
        var id = GrainId.ToString();
        probe.Enter(id, SiloId, ActivationEpoch);
        try
        {
            await Task.Yield();
            state.State.Count++;
            await state.WriteStateAsync();
            return state.State.Count;
        }
        finally
        {
            probe.Exit(id);
        }
    }

    public async Task<long> WaitForGateAsync()
    {
        probe.GateEntered.TrySetResult();
        await probe.Gate.Task;
        state.State.Count += 1000;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<long> GetAsync() => Task.FromResult(state.State.Count);

    public Task<string> GetSiloAsync() => Task.FromResult(SiloId);
}
