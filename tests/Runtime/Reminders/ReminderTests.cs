using System.Globalization;
using AgentGrains.Runtime.Hosting;
using AgentGrains.Runtime.Testing;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime.Reminders;

/// <summary>Durable reminders on every storage provider: one nested subclass each.</summary>
public abstract class ReminderTests(StorageUnderTest storage) : RuntimeTestBase(storage)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : ReminderTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : ReminderTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task Reminder_Periodic200Ms_FiresRepeatedly()
    {
        var probe = new ReminderProbe();
        await using var silo = await StartAsync(probe);

        await silo.Grains.GetGrain<IReminderGrain>("periodic").RegisterAsync("p", Short, Short);

        await Eventually.TrueAsync(() => Task.FromResult(probe.Count("periodic", "p") >= 3), Timeout, "reminder p of reminder/periodic ticked 3 times");
        var ticks = probe.Of("periodic", "p");
        Assert.Equal(Short, ticks[0].Status.Period);
        Assert.True(ticks[1].Status.CurrentTickTime > ticks[0].Status.CurrentTickTime);
    }

    [Fact]
    public async Task Reminder_OneShot_FiresOnceAndIsGone()
    {
        var probe = new ReminderProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<IReminderGrain>("one-shot");

        await grain.RegisterAsync("o", Short, TimeSpan.Zero);

        await Eventually.TrueAsync(() => Task.FromResult(probe.Count("one-shot", "o") == 1), Timeout, "reminder o of reminder/one-shot ticked once");
        Assert.False(await grain.ExistsAsync("o"));
        Assert.Equal(0L, await CountAsync("SELECT COUNT(*) FROM reminders"));
        Assert.Equal(TimeSpan.Zero, probe.Of("one-shot", "o")[0].Status.Period);
        Assert.Equal(1L, await CountAsync("SELECT COUNT(*) FROM inbox WHERE method = '$reminder'"));
    }

    [Fact]
    public async Task Reminder_Updated_UsesTheNewDueTimeAndPeriod()
    {
        var probe = new ReminderProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<IReminderGrain>("update");
        await grain.RegisterAsync("u", TimeSpan.FromHours(1), TimeSpan.FromHours(1));

        await grain.RegisterAsync("u", Short, TimeSpan.FromMilliseconds(300));

        await Eventually.TrueAsync(() => Task.FromResult(probe.Count("update", "u") >= 2), Timeout, "updated reminder u of reminder/update ticked twice");
        Assert.Equal(TimeSpan.FromMilliseconds(300), probe.Of("update", "u")[0].Status.Period);
        Assert.Equal(1L, await CountAsync("SELECT COUNT(*) FROM reminders"));
    }

    [Fact]
    public async Task Reminder_Unregistered_StopsFiring()
    {
        var probe = new ReminderProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<IReminderGrain>("unregister");
        await grain.RegisterAsync("u", Short, Short);
        await Eventually.TrueAsync(() => Task.FromResult(probe.Count("unregister", "u") >= 1), Timeout, "reminder u of reminder/unregister ticked");

        await grain.UnregisterAsync("u");
        var atUnregister = probe.Count("unregister", "u");
        // A marker reminder ticking twice shows polls went on after the removal.
        await grain.RegisterAsync("marker", Short, Short);
        await Eventually.TrueAsync(() => Task.FromResult(probe.Count("unregister", "marker") >= 3), Timeout, "marker reminder of reminder/unregister ticked 3 times");

        Assert.False(await grain.ExistsAsync("u"));
        // At most the tick already in the inbox when it was removed.
        Assert.InRange(probe.Count("unregister", "u"), atUnregister, atUnregister + 1);
    }

    [Fact]
    public async Task Reminder_RegisteredInATurnThatThrows_IsNotStored()
    {
        var probe = new ReminderProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<IReminderGrain>("throws");

        await Assert.ThrowsAsync<InvalidOperationException>(() => grain.RegisterThenFailAsync("t", Short, Short));

        Assert.False(await grain.ExistsAsync("t"));
        Assert.Equal(0L, await CountAsync("SELECT COUNT(*) FROM reminders"));
    }

    [Fact]
    public async Task Reminder_RegisteredInAReadOnlyCall_Throws()
    {
        var probe = new ReminderProbe();
        await using var silo = await StartAsync(probe);
        var grain = silo.Grains.GetGrain<IReminderGrain>("read-only");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.RegisterReadOnlyAsync("r"));

        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await CountAsync("SELECT COUNT(*) FROM reminders"));
    }

    [Fact]
    public async Task Reminder_SiloRestarted_KeepsFiring()
    {
        await using (var silo = await StartAsync(new ReminderProbe(), pollInterval: "01:00:00"))
        {
            await silo.Grains.GetGrain<IReminderGrain>("restart").RegisterAsync("r", Short, Short);
        }

        var after = new ReminderProbe();
        await using var restarted = await StartAsync(after);

        await Eventually.TrueAsync(() => Task.FromResult(after.Count("restart", "r") >= 2), Timeout, "reminder r of reminder/restart ticked twice after the restart");
    }

    [Fact]
    public async Task Reminder_TicksMissedWhileStopped_FireOnceOnRestart()
    {
        await using (var silo = await StartAsync(new ReminderProbe(), pollInterval: "01:00:00"))
        {
            await silo.Grains.GetGrain<IReminderGrain>("missed").RegisterAsync("m", TimeSpan.FromMinutes(1), Short);
        }

        // As if the cluster had been down for an hour: 18,000 periods missed.
        await Storage.ExecuteAsync(Storage.Provider == "Postgres"
            ? "UPDATE reminders SET due_at = due_at - interval '1 hour', first_due_at = first_due_at - interval '1 hour'"
            : "UPDATE reminders SET due_at = due_at - 3600000, first_due_at = first_due_at - 3600000");
        var restartedAt = DateTimeOffset.UtcNow;
        var probe = new ReminderProbe();
        await using var restarted = await StartAsync(probe);

        await Eventually.TrueAsync(() => Task.FromResult(probe.Count("missed", "m") >= 2), Timeout, "reminder m of reminder/missed ticked twice after the restart");
        var ticks = probe.Of("missed", "m");
        Assert.True(ticks[0].Status.CurrentTickTime < restartedAt - TimeSpan.FromMinutes(30), $"first tick {ticks[0].Status.CurrentTickTime:O} is the missed one");
        Assert.True(ticks[1].Status.CurrentTickTime > restartedAt - TimeSpan.FromSeconds(5), $"second tick {ticks[1].Status.CurrentTickTime:O} is after the restart, not another missed period");
        Assert.InRange(await CountAsync("SELECT COUNT(*) FROM inbox WHERE method = '$reminder'"), 2L, 200L);
    }

    [Fact]
    public async Task Reminder_GrainNotRemindable_TickFailsAndReminderIsUnregistered()
    {
        await using var silo = await StartAsync(new ReminderProbe());

        await silo.Grains.GetGrain<IPlainGrain>("plain").RegisterAsync("p", Short, Short);

        await Eventually.TrueAsync(async () => await CountAsync("SELECT COUNT(*) FROM reminders") == 0, Timeout, "reminder p of plain/plain was unregistered after its failed tick");
        Assert.Equal(1L, await CountAsync("SELECT COUNT(*) FROM inbox WHERE method = '$reminder' AND status = 2"));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task Reminder_OwnerSiloKilled_FiresOnTheSurvivor()
    {
        var probe = new ReminderProbe();
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilos = 2,
            StorageSettings = Storage.Settings,
            ConfigureSilo = static s => s.AddGrain<IReminderGrain, ReminderGrain>(),
            ConfigureServices = s => s.AddSingleton(probe),
            Settings =
            {
                ["Silo:HeartbeatInterval"] = "00:00:00.200",
                ["Silo:DeathTimeout"] = "00:00:02",
                ["Silo:ReminderPollInterval"] = "00:00:00.100",
            },
        });
        var (survivor, victim) = (cluster.Silos[0], cluster.Silos[1]);
        await victim.GrainFactory.GetGrain<IReminderGrain>("failover").RegisterAsync("f", Short, Short);
        await Eventually.TrueAsync(() => Task.FromResult(probe.Of("failover", "f").Any(t => t.SiloId == victim.Silo.SiloId)), Timeout, "reminder f of reminder/failover ticked on its first silo");

        await cluster.KillSiloAsync(victim);

        await Eventually.TrueAsync(() => Task.FromResult(probe.Of("failover", "f").Count(t => t.SiloId == survivor.Silo.SiloId) >= 2), Timeout, "reminder f of reminder/failover ticked twice on the surviving silo");
    }

    private async Task<long> CountAsync(string sql) => Convert.ToInt64(await Storage.ScalarAsync(sql), CultureInfo.InvariantCulture);

    private Task<TestSiloHost> StartAsync(ReminderProbe probe, string pollInterval = "00:00:00.050") =>
        TestSiloHost.StartAsync(
            Storage,
            configure: static silo =>
            {
                silo.AddGrain<IReminderGrain, ReminderGrain>();
                silo.AddGrain<IPlainGrain, PlainGrain>();
            },
            settings: new Dictionary<string, string?> { ["Silo:ReminderPollInterval"] = pollInterval },
            services: s => s.AddSingleton(probe));
}
