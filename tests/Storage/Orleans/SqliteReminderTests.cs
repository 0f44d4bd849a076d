using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.Storage.Orleans;

/// <summary>Orleans reminders kept in the embedded SQLite file, seen through grains of a real (in-process) cluster.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class SqliteReminderTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DueSoon = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Period = SqliteOrleansCluster.MinimumReminderPeriod;

    private readonly TempDirectory directory = new();
    private readonly string serviceId = Guid.NewGuid().ToString("N");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private string DatabasePath => directory.File("agentgrains.db");

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task RegisterOrUpdateReminder_OneSecondPeriod_TicksRepeatedly()
    {
        await using var cluster = await StartAsync();

        await cluster.Client.GetGrain<ITickingGrain>("ticking").RegisterAsync("watchdog", DueSoon, Period);

        await UntilAsync(() => cluster.Ticks.Count("ticking", "watchdog") >= 3, "reminder watchdog of probe 'ticking' ticked 3 times");
    }

    [Fact]
    public async Task Reminder_FullClusterRestart_TicksAgainWithoutRegistering()
    {
        await using (var first = await StartAsync())
        {
            await first.Client.GetGrain<ITickingGrain>("durable").RegisterAsync("watchdog", DueSoon, Period);
            await UntilAsync(() => first.Ticks.Count("durable", "watchdog") >= 1, "reminder watchdog of probe 'durable' ticked before the restart");
        }

        // Every silo of the first cluster has stopped: only the file knows about the reminder.
        await using var second = await StartAsync();

        await UntilAsync(() => second.Ticks.Count("durable", "watchdog") >= 1, "reminder watchdog of probe 'durable' ticked after the restart, never registered again");
        Assert.True(await second.Client.GetGrain<ITickingGrain>("durable").IsRegisteredAsync("watchdog"));
    }

    [Fact]
    public async Task UnregisterReminder_AfterItTicked_StopsItAndRemovesItsRow()
    {
        await using var cluster = await StartAsync();
        var grain = cluster.Client.GetGrain<ITickingGrain>("stopping");
        await grain.RegisterAsync("watchdog", DueSoon, Period);
        await UntilAsync(() => cluster.Ticks.Count("stopping", "watchdog") >= 1, "reminder watchdog of probe 'stopping' ticked once");

        Assert.True(await grain.UnregisterAsync("watchdog"));

        // A witness with the same period on the same grain: once it has ticked twice, the stopped
        // reminder has had two periods in which to tick, had it not stopped.
        await grain.RegisterAsync("witness", Period, Period);
        await UntilAsync(() => cluster.Ticks.Count("stopping", "witness") >= 2, "reminder witness of probe 'stopping' ticked twice");
        var ticks = cluster.Ticks.Snapshot().Where(t => t.Grain == "stopping").ToList();
        var firstWitness = ticks.First(t => t.Reminder == "witness").Sequence;
        Assert.DoesNotContain(ticks, t => t.Reminder == "watchdog" && t.Sequence > firstWitness);
        Assert.False(await grain.IsRegisteredAsync("watchdog"));
        Assert.Null(await ReminderTable(cluster).ReadRow(GrainIdOf("stopping"), "watchdog", Cancel));
    }

    [Fact]
    public async Task Reminders_TwoOnOneGrain_TickUnderTheirOwnNamesAndKeepTheirOwnRows()
    {
        await using var cluster = await StartAsync();
        var grain = cluster.Client.GetGrain<ITickingGrain>("pair");
        await grain.RegisterAsync("fast", DueSoon, Period);
        await grain.RegisterAsync("slow", DueSoon, 3 * Period);

        await UntilAsync(
            () => cluster.Ticks.Count("pair", "fast") >= 3 && cluster.Ticks.Count("pair", "slow") >= 1,
            "probe 'pair' received 3 ticks of reminder fast and 1 of reminder slow");
        var table = ReminderTable(cluster);
        var rows = (await table.ReadRows(GrainIdOf("pair"), Cancel)).Reminders.OrderBy(r => r.ReminderName, StringComparer.Ordinal).ToList();
        Assert.Equal(["fast", "slow"], rows.Select(r => r.ReminderName));
        Assert.Equal([Period, 3 * Period], rows.Select(r => r.Period));
        var slowETag = rows[1].ETag;

        Assert.True(await grain.UnregisterAsync("fast"));

        Assert.True(await grain.IsRegisteredAsync("slow"));
        var slow = await table.ReadRow(GrainIdOf("pair"), "slow", Cancel);
        Assert.NotNull(slow);
        Assert.Equal(slowETag, slow.ETag);
        Assert.Null(await table.ReadRow(GrainIdOf("pair"), "fast", Cancel));
    }

    [Fact]
    public async Task Reminders_ManyGrainsOnTwoSilos_EachGrainTicksOnlyItsOwn()
    {
        await using var cluster = await StartAsync(silos: 2);
        var keys = Enumerable.Range(0, 24).Select(i => $"many-{i}").ToList();

        await Task.WhenAll(keys.Select(key => cluster.Client.GetGrain<ITickingGrain>(key).RegisterAsync("watchdog", DueSoon, Period)));

        await UntilAsync(
            () => keys.All(key => cluster.Ticks.Count(key, "watchdog") >= 1),
            $"each of the {keys.Count} probes received a tick of its reminder watchdog");
        Assert.All(cluster.Ticks.Snapshot(), tick =>
        {
            Assert.Contains(tick.Grain, keys);
            Assert.Equal("watchdog", tick.Reminder);
        });
        var table = ReminderTable(cluster);
        foreach (var key in keys)
        {
            var row = Assert.Single((await table.ReadRows(GrainIdOf(key), Cancel)).Reminders);
            Assert.Equal(GrainIdOf(key), row.GrainId);
        }
    }

    private Task<SqliteOrleansCluster> StartAsync(short silos = 1) => SqliteOrleansCluster.StartAsync(DatabasePath, serviceId, silos);

    private static IReminderTable ReminderTable(SqliteOrleansCluster cluster) => cluster.SiloServices.GetRequiredService<IReminderTable>();

    private static GrainId GrainIdOf(string key) => GrainId.Create("ticking", key);

    private static Task UntilAsync(Func<bool> condition, string expectation) =>
        Eventually.TrueAsync(() => Task.FromResult(condition()), Timeout, expectation);
}
