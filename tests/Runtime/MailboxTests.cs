using AgentGrains.Runtime;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Runtime;

/// <summary>Runs on every storage provider: one nested subclass each.</summary>
public abstract class MailboxTests(StorageUnderTest storage) : RuntimeTestBase(storage)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : MailboxTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : MailboxTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task DurableCalls_TwoHundredConcurrent_RunOneAtATimeInArrivalOrder()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);
        var grain = silo.Grains.GetGrain<ICounterGrain>("ordered");

        // Issued one after another from this thread without awaiting: this is the arrival order.
        var calls = Enumerable.Range(0, 200).Select(grain.RecordAsync).ToArray();
        var counts = await Task.WhenAll(calls);

        Assert.Equal(1, probe.MaxConcurrentTurns);
        Assert.Equal(Enumerable.Range(0, 200), probe.Order);
        // Each turn saw the log exactly one longer than the turn before it.
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), counts);
        Assert.Equal(Enumerable.Range(0, 200), await grain.GetRecordedAsync());
    }

    [Fact]
    public async Task ReadOnlyCall_WhileDurableTurnAwaits_InterleavesAndAnswers()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);
        var grain = silo.Grains.GetGrain<ICounterGrain>("interleave");
        await grain.AddAsync(5);

        var blocked = grain.WaitForGateAsync();
        await probe.GateEntered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        // The durable turn is parked on the gate; a read-only call still gets through.
        Assert.Equal(5, await grain.GetAsync().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.False(blocked.IsCompleted);

        probe.Gate.SetResult();
        Assert.Equal(1005, await blocked);
    }

    [Fact]
    public async Task DurableCall_GrainThrows_CallerGetsTheErrorAndStagedWritesAreDropped()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);
        var grain = silo.Grains.GetGrain<ICounterGrain>("throws");
        await grain.AddAsync(7);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => grain.AddThenFailAsync(100));
        Assert.Contains("refusing 100", error.Message, StringComparison.Ordinal);

        // The failed turn's state write and log append never reached storage or memory.
        Assert.Equal(7, await grain.GetAsync());
        Assert.Empty(await grain.GetRecordedAsync());
        Assert.Equal(8, await grain.AddAsync(1));
    }

    [Fact]
    public async Task DurableCall_GrainThrowsAgentGrainsException_CallerGetsSameType()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);
        var grain = silo.Grains.GetGrain<ICounterGrain>("typed-error");

        var error = await Assert.ThrowsAsync<TestConflictException>(grain.FailWithConflictAsync);

        Assert.Equal("conflict in typed-error", error.Message);
    }

    [Fact]
    public async Task IdleActivation_AfterIdleTimeout_IsDeactivatedAndReactivatesWithItsState()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe, new Dictionary<string, string?> { ["Silo:IdleTimeout"] = "00:00:00.300" });
        var grain = silo.Grains.GetGrain<ICounterGrain>("idle");
        await grain.AddAsync(3);
        Assert.Equal(1, silo.Silo.ActivationCount);

        await Infrastructure.Eventually.TrueAsync(
            () => Task.FromResult(silo.Silo.ActivationCount == 0),
            TimeSpan.FromSeconds(10),
            "grain counter/idle is deactivated after 300 ms idle");

        Assert.Equal(3, await grain.GetAsync());
        Assert.Equal(1, silo.Silo.ActivationCount);
    }

    [Fact]
    public async Task GetGrain_UnregisteredGrainType_FailsWithClearError()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => silo.Grains.GetGrain<IUnregisteredGrain>("x").PingAsync());

        Assert.Contains("unregistered", error.Message, StringComparison.Ordinal);
    }
}

public interface IUnregisteredGrain : IGrainWithStringKey
{
    Task PingAsync();
}
