using AgentGrains.Runtime;
using AgentGrains.Runtime.Persistence;

namespace AgentGrains.Bench;

public interface IBenchGrain : IGrainWithStringKey
{
    Task<long> IncrementAsync();

    [ReadOnly]
    Task<long> GetAsync();
}

public sealed class BenchState
{
    public long Count { get; set; }
}

public sealed class BenchGrain([PersistentState("bench")] IPersistentState<BenchState> state) : Grain, IBenchGrain
{
    public async Task<long> IncrementAsync()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<long> GetAsync() => Task.FromResult(state.State.Count);
}
