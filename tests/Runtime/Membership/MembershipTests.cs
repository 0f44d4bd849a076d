using AgentGrains.Runtime;
using AgentGrains.Runtime.Membership;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime.Membership;

/// <summary>Runs on every storage provider: one nested subclass each.</summary>
public abstract class MembershipTests(StorageUnderTest storage) : RuntimeTestBase(storage)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : MembershipTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : MembershipTests(StorageUnderTest.Postgres())
    {
    }

    private static readonly Dictionary<string, string?> FastHeartbeats = new()
    {
        ["Silo:HeartbeatInterval"] = "00:00:00.100",
        ["Silo:DeathTimeout"] = "00:00:01",
        ["Silo:Address"] = "http://silo-under-test:5080",
    };

    [Fact]
    public async Task Start_RegistersActiveSiloWithAddress_StopMarksItDead()
    {
        var silo = await StartSiloAsync(new Probe(), FastHeartbeats);
        var id = silo.Silo.SiloId;
        await silo.Grains.GetGrain<ICounterGrain>("m").AddAsync(1);

        var active = Assert.Single(await MembersAsync(silo), s => s.Id == id);
        Assert.Equal((SiloStates.Active, "http://silo-under-test:5080"), (active.Status, active.Address));
        await Eventually.TrueAsync(
            async () => (await MembersAsync(silo)).Single(s => s.Id == id).Activations == 1,
            TimeSpan.FromSeconds(10),
            "the heartbeat reports one activation");

        await silo.StopAsync();
        await using var next = await StartSiloAsync(new Probe(), FastHeartbeats);
        Assert.Equal(SiloStates.Dead, (await MembersAsync(next)).Single(s => s.Id == id).Status);
        await silo.DisposeAsync();
    }

    [Fact]
    public async Task Kill_HeartbeatsStop_SiloReportedDeadAfterDeathTimeout()
    {
        var killed = await StartSiloAsync(new Probe(), FastHeartbeats);
        var id = killed.Silo.SiloId;
        await killed.KillAsync();
        // Another address: a new silo at the same address would mark its predecessor dead at once.
        await using var survivor = await StartSiloAsync(new Probe(), new Dictionary<string, string?>(FastHeartbeats) { ["Silo:Address"] = "http://survivor:5080" });

        await Eventually.TrueAsync(
            async () => (await MembersAsync(survivor)).Single(s => s.Id == id).Status == SiloStates.Dead,
            TimeSpan.FromSeconds(10),
            $"killed silo {id} is reported dead after the 1 s death timeout");
        Assert.Equal(SiloStates.Active, (await MembersAsync(survivor)).Single(s => s.Id == survivor.Silo.SiloId).Status);
        await killed.DisposeAsync();
    }

    [Fact]
    public async Task HeartbeatSuspended_PastDeathTimeout_SiloFencesItselfAndRefusesCalls()
    {
        await using var silo = await StartSiloAsync(new Probe(), FastHeartbeats);
        var grain = silo.Grains.GetGrain<ICounterGrain>("fenced");
        await grain.AddAsync(1);

        silo.Silo.HeartbeatSuspended = true;

        await Eventually.TrueAsync(
            () => Task.FromResult(silo.Silo.Status == SiloStatus.Stopped),
            TimeSpan.FromSeconds(10),
            "the silo fences itself once its heartbeat is older than DeathTimeout - HeartbeatInterval");
        await Assert.ThrowsAsync<SiloUnavailableException>(() => grain.AddAsync(1));
    }

    [Fact]
    public async Task DeclaredDeadByOthers_NextHeartbeat_SiloFencesItself()
    {
        await using var silo = await StartSiloAsync(new Probe(), FastHeartbeats);
        var membership = (IMembershipStorage)silo.Services.GetRequiredService<AgentGrains.Runtime.Storage.IGrainStorage>();

        await membership.SetStatusAsync(silo.Silo.SiloId, SiloStates.Dead, CancellationToken.None);

        await Eventually.TrueAsync(
            () => Task.FromResult(silo.Silo.Status == SiloStatus.Stopped),
            TimeSpan.FromSeconds(10),
            "a silo declared dead stops at its next heartbeat");
    }

    private static Task<IReadOnlyList<SiloInfo>> MembersAsync(TestSiloHost host) =>
        host.Services.GetRequiredService<IClusterMembership>().GetSilosAsync(CancellationToken.None);
}
