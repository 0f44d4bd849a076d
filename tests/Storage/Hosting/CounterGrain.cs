using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.Storage.Hosting;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> AddAsync(int amount);

    Task<int> GetAsync();

    /// <summary>An id drawn when the activation starts: a new value means the state was read back from storage.</summary>
    Task<Guid> GetActivationIdAsync();

    Task ClearAsync();

    Task DeactivateAsync();
}

/// <summary>The stored state: a plain class, as System.Text.Json writes it.</summary>
public sealed class CounterState
{
    public int Total { get; set; }
}

/// <summary>A grain whose state lives in the default storage provider.</summary>
public sealed class CounterGrain([PersistentState(CounterGrain.StateName)] IPersistentState<CounterState> state) : Grain, ICounterGrain
{
    public const string StateName = "counter";

    private readonly Guid activationId = Guid.NewGuid();

    public async Task<int> AddAsync(int amount)
    {
        state.State.Total += amount;
        await state.WriteStateAsync();
        return state.State.Total;
    }

    public Task<int> GetAsync() => Task.FromResult(state.State.Total);

    public Task<Guid> GetActivationIdAsync() => Task.FromResult(activationId);

    public Task ClearAsync() => state.ClearStateAsync();

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
