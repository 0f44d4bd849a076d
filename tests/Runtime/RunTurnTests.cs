using AgentGrains.Runtime;
using AgentGrains.Runtime.Hosting;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime;

/// <summary>Grain-initiated turns (<c>Grain.RunTurnAsync</c>), on every storage provider.</summary>
public abstract class RunTurnTests(StorageUnderTest storage) : RuntimeTestBase(storage)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : RunTurnTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : RunTurnTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task RunTurn_StagedStateAndLog_CommittedAndVisibleAfterRestart()
    {
        var probe = new TurnProbe();
        await using (var silo = await StartAsync(probe))
        {
            // Activated by a read-only call: no worker runs until the turn is queued.
            await silo.Grains.GetGrain<ITurnGrain>("durable").GetAsync();

            Assert.Equal(5, await probe.Instances["durable"].AddInTurnAsync(5, "a"));
            Assert.Equal(7, await probe.Instances["durable"].AddInTurnAsync(2, "b"));
        }

        await using (var silo = await StartAsync(new TurnProbe()))
        {
            var grain = silo.Grains.GetGrain<ITurnGrain>("durable");
            Assert.Equal(7, await grain.GetAsync());
            Assert.Equal(["a", "b"], await grain.GetEventsAsync());
        }
    }

    [Fact]
    public async Task RunTurn_Awaited_ResultReturnedOnlyAfterCommit()
    {
        var probe = new TurnProbe();
        await using var silo = await StartAsync(probe);
        await silo.Grains.GetGrain<ITurnGrain>("after").GetAsync();

        await probe.Instances["after"].AddInTurnAsync(3, "x");

        Assert.Equal(1L, Convert.ToInt64(await Storage.ScalarAsync("SELECT COUNT(*) FROM grain_log WHERE grain_id = 'turn/after' AND stream = 'events'"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunTurn_DelegateThrows_TaskFaultsAndNothingIsWritten()
    {
        var probe = new TurnProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<ITurnGrain>("throws");
        await grain.AddAsync(1);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => probe.Instances["throws"].FailInTurnAsync("bad"));

        Assert.Equal("turn failed on purpose", error.Message);
        Assert.Equal(1, await grain.GetAsync());
        Assert.Equal(["m1"], await grain.GetEventsAsync());
        Assert.Equal(1L, Convert.ToInt64(await Storage.ScalarAsync("SELECT COUNT(*) FROM grain_log WHERE grain_id = 'turn/throws'"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunTurn_QueuedByStaleInstanceAfterReset_FaultsAndNeverRuns()
    {
        var probe = new TurnProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<ITurnGrain>("stale");
        await grain.AddAsync(1);
        var old = probe.Instances["stale"];

        await Assert.ThrowsAsync<InvalidOperationException>(() => grain.FailAsync());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => old.AddInTurnAsync(5, "stale"));

        Assert.Contains("turn/stale", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await grain.GetAsync());
        Assert.DoesNotContain("stale", probe.Ran);
        Assert.NotSame(old, probe.Instances["stale"]);
    }

    [Fact]
    public async Task DurableCall_GrainRefusesBeforeStaging_KeepsItsActivationAndQueuedTurns()
    {
        var probe = new TurnProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<ITurnGrain>("refuse");
        await grain.AddAsync(1);
        var instance = probe.Instances["refuse"];

        await Assert.ThrowsAsync<ArgumentException>(grain.RefuseAsync);
        var total = await instance.AddInTurnAsync(5, "after-refusal");

        // The same instance still runs turns: a refusal is not a failure that needs a reload.
        Assert.Same(instance, probe.Instances["refuse"]);
        Assert.Equal(6, total);
        Assert.Equal(6, await grain.GetAsync());
    }

    [Fact]
    public async Task RunTurn_QueuedInOrderWithMessageBetween_RunInOrderAndMessageProcessedBetween()
    {
        var probe = new TurnProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<ITurnGrain>("order");
        await grain.GetAsync();
        var instance = probe.Instances["order"];
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = instance.AddInTurnAsync(1, "t1", gate.Task);
        await Eventually.TrueAsync(() => Task.FromResult(probe.Ran.Contains("t1")), Timeout, "turn t1 of turn/order started");
        var message = grain.AddAsync(10);
        var second = instance.AddInTurnAsync(2, "t2");
        var third = instance.AddInTurnAsync(3, "t3");
        gate.SetResult();

        Assert.Equal(1, await first);
        Assert.Equal(11, await message);
        Assert.Equal(13, await second);
        Assert.Equal(16, await third);
        Assert.Equal(["t1", "m10", "t2", "t3"], await grain.GetEventsAsync());
    }

    [Fact]
    public async Task RunTurn_QueuedInsideATurn_RunsAfterThatTurnCommitted()
    {
        var probe = new TurnProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<ITurnGrain>("after-commit");

        await grain.QueueAfterCommitAsync(4);

        // The queued turn saw the state version the first turn's commit produced.
        Assert.Equal("1", await probe.AfterCommit["after-commit"].WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RunTurn_IdleActivationWithQueuedTurn_IsNotCollected()
    {
        var probe = new TurnProbe();
        await using var silo = await StartAsync(probe, new Dictionary<string, string?> { ["Silo:IdleTimeout"] = "00:00:00.200" });
        var grain = silo.Grains.GetGrain<ITurnGrain>("busy");
        await grain.GetAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = probe.Instances["busy"].AddInTurnAsync(1, "long", gate.Task);
        var queued = probe.Instances["busy"].AddInTurnAsync(2, "queued");

        // Another grain idle as long is collected meanwhile: collection ran and skipped the busy one.
        await silo.Grains.GetGrain<ITurnGrain>("idle").GetAsync();
        await Eventually.TrueAsync(() => Task.FromResult(probe.Deactivated.Contains("idle")), Timeout, "the idle grain turn/idle was collected");
        Assert.DoesNotContain("busy", probe.Deactivated);
        gate.SetResult();

        Assert.Equal(1, await running);
        Assert.Equal(3, await queued);
    }

    [Fact]
    public async Task RunTurn_QueuedWhenTheSiloStops_FaultsInsteadOfHanging()
    {
        var probe = new TurnProbe();
        var silo = await StartAsync(probe);
        await using var _ = silo;
        await silo.Grains.GetGrain<ITurnGrain>("stopping").GetAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = probe.Instances["stopping"].AddInTurnAsync(1, "long", gate.Task);
        var queued = probe.Instances["stopping"].AddInTurnAsync(2, "queued");
        await Eventually.TrueAsync(() => Task.FromResult(probe.Ran.Contains("long")), Timeout, "turn 'long' of turn/stopping started");

        var stop = silo.StopAsync();

        await Assert.ThrowsAsync<SiloUnavailableException>(() => queued.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        gate.SetResult();
        Assert.Equal(1, await running.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        await stop.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.DoesNotContain("queued", probe.Ran);
    }

    private Task<TestSiloHost> StartAsync(TurnProbe probe, IDictionary<string, string?>? settings = null) =>
        TestSiloHost.StartAsync(
            Storage,
            configure: static silo => silo.AddGrain<ITurnGrain, TurnGrain>(),
            settings: settings,
            services: s => s.AddSingleton(probe));
}
