using AgentGrains.Runtime;
using AgentGrains.Runtime.Membership;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime.Cluster;

/// <summary>A paused owner cannot write after a takeover, on every storage provider: one nested subclass each.</summary>
public abstract class FencingTests(StorageUnderTest storage) : ClusterTestBase(storage)
{
    [Trait("Category", "Fault")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : FencingTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Fault")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : FencingTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task PausedOwner_ResumesAfterTakeover_ItsWriteIsRejectedAndItStopsProcessing()
    {
        var probe = new ClusterProbe();
        await using var cluster = await StartClusterAsync(probe, silos: 2);
        var (zombie, survivor) = (cluster.Silos[0], cluster.Silos[1]);
        await zombie.GrainFactory.GetGrain<IClusterCounterGrain>("z").IncrementAsync(0);

        // The owner is in the middle of a turn when its whole process freezes: no heartbeat, no self-check.
        var zombieTurn = zombie.GrainFactory.GetGrain<IClusterCounterGrain>("z").WaitForGateAsync();
        await probe.GateEntered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        zombie.Silo.SelfFencingSuspended = true;
        zombie.Silo.HeartbeatSuspended = true;
        var membership = survivor.Services.GetRequiredService<IClusterMembership>();
        await Eventually.TrueAsync(
            async () => (await membership.GetSilosAsync(CancellationToken.None)).Single(s => s.Id == zombie.Silo.SiloId).Status == SiloStates.Dead,
            TimeSpan.FromSeconds(15),
            "the frozen owner is seen dead by the survivor");

        // The survivor takes the grain over (new epoch) and runs the pending turn and a new one.
        var afterTakeover = survivor.GrainFactory.GetGrain<IClusterCounterGrain>("z").IncrementAsync(1);
        await Eventually.TrueAsync(
            async () => await survivor.GrainFactory.GetGrain<IClusterCounterGrain>("z").GetSiloAsync() == survivor.Silo.SiloId,
            TimeSpan.FromSeconds(10),
            "grain cluster-counter/z is active on the survivor");
        probe.Gate.SetResult();
        Assert.Equal(1002, await afterTakeover.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        // The zombie wakes up and finishes its turn: its commit carries the old epoch and is refused.
        // Its caller still gets the one committed outcome, the survivor's.
        Assert.Equal(1001, await zombieTurn.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(1002, await survivor.GrainFactory.GetGrain<IClusterCounterGrain>("z").GetAsync());

        zombie.Silo.HeartbeatSuspended = false;
        await Eventually.TrueAsync(
            () => Task.FromResult(zombie.Silo.Status == SiloStatus.Stopped),
            TimeSpan.FromSeconds(10),
            "the resumed zombie learns it was declared dead and stops");
        Assert.Equal(1002, await survivor.GrainFactory.GetGrain<IClusterCounterGrain>("z").GetAsync());
    }
}
