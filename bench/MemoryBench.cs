using AgentGrains.Tests.Infrastructure;
using System.Globalization;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Sessions;
using AgentGrains.Storage.Journal;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace AgentGrains.Bench;

/// <summary>Managed memory held per idle agent-session activation (the target: at most 4 KiB beyond its state).</summary>
/// <remarks>
/// <para>Activates <c>count</c> sessions on one silo, each after one completed run of the built-in
/// assistant (so every activation has been through a whole run: driver, journal, published view),
/// then forces a full collection and divides the growth of the managed heap by the number of
/// sessions. Activations are kept for the hour (Orleans' collection age), and the silo's count of
/// activations is checked. The state part is measured apart: the same sessions' committed states,
/// read back from the journal and held as objects, are what an activation holds as its state.</para>
/// <para>Measured twice, each time on a fresh silo. Right after its run a session still has its
/// watchdog reminder, which Orleans' reminder service holds in memory: the watchdog outlives a run
/// for the session's next one, and its first tick with no run going (after
/// <see cref="AgentDefinition.WatchdogPeriod"/>, 10 s) unregisters it. The service then keeps the
/// stopped reminder as a tombstone until its next read of the reminder table
/// (<c>ReminderOptions.RefreshReminderListPeriod</c>, five minutes by default). The second silo reads
/// its table every <see cref="ShortRefresh"/> and is measured once the watchdogs have ticked and the
/// table was read again: what an idle activation keeps for good.</para>
/// </remarks>
internal static class MemoryBench
{
    private static readonly TimeSpan ShortRefresh = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web);

    public static async Task RunAsync(int count)
    {
        var rows = new List<string>
        {
            await MeasureAsync(count, refresh: null, "right after the runs (each session's watchdog still registered)"),
            await MeasureAsync(count, ShortRefresh, $"idle: the watchdogs' ticks unregistered them, then the reminder service read its table (every {ShortRefresh.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s here)"),
        };
        Console.WriteLine($"AgentGrains memory bench (Orleans silo): {count.ToString(CultureInfo.InvariantCulture)} idle agent sessions, each after one completed run");
        Console.WriteLine();
        Console.WriteLine("| measured | sessions | activations added (Orleans' count) | managed heap before | after | per idle activation | its state (objects) | per activation beyond its state |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
    }

    private static async Task<string> MeasureAsync(int count, TimeSpan? refresh, string when)
    {
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Storage:Path"] = Path.Combine(directory, "grains.db"),
                ["Storage:FlushEachCommit"] = "false",
            };
            await using var silo = await BenchSilo.StartAsync(settings, services =>
            {
                services.Configure<GrainCollectionOptions>(static o => o.CollectionAge = TimeSpan.FromHours(1));
                if (refresh is { } period)
                {
                    services.Configure<Orleans.Hosting.ReminderOptions>(o => o.RefreshReminderListPeriod = period);
                }
            });
            var management = silo.Grains.GetGrain<IManagementGrain>(0);

            // Warm up every code path once, so the baseline holds the JIT's and the caches' memory.
            await RunOneAsync(silo.Grains, "warm-up");
            if (refresh is { } wait)
            {
                await Task.Delay(3 * wait);
            }

            var activationsBefore = await management.GetTotalActivationCount();
            var before = Settle();
            for (var i = 0; i < count; i += 64)
            {
                await Task.WhenAll(Enumerable.Range(i, Math.Min(64, count - i)).Select(n => RunOneAsync(silo.Grains, $"idle-{n}")));
            }

            if (refresh is { } settle)
            {
                // Each watchdog ticks once with no run going and unregisters itself; then two reads of
                // the table at least (the first may have started before the last tick).
                await Task.Delay(new AgentDefinition("any", "any", []).WatchdogPeriod + (3 * settle));
            }

            var after = Settle();
            var activations = await management.GetTotalActivationCount() - activationsBefore;

            // The state part: what the sessions' committed states take as objects.
            var journal = silo.Host.Services.GetRequiredService<ISessionJournal>();
            var json = new string[count];
            for (var n = 0; n < count; n++)
            {
                json[n] = (await journal.LoadAsync($"agent-session/idle-{n}", [], CancellationToken.None)).State
                    ?? throw new InvalidOperationException($"Session idle-{n} has no committed state.");
            }

            var statesBefore = Settle();
            var states = json.Select(static s => JsonSerializer.Deserialize<AgentSessionState>(s, StateJson)!).ToArray();
            var statesAfter = Settle();
            GC.KeepAlive(states);

            var perActivation = (after - before) / (double)count;
            var perState = (statesAfter - statesBefore) / (double)count;
            return string.Create(
                CultureInfo.InvariantCulture,
                $"| {when} | {count:N0} | {activations:N0} | {before / 1024.0 / 1024.0:0.0} MiB | {after / 1024.0 / 1024.0:0.0} MiB | {perActivation / 1024.0:0.00} KiB | {perState / 1024.0:0.00} KiB (JSON {json.Average(static s => s.Length):N0} chars) | {(perActivation - perState) / 1024.0:0.00} KiB |");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestPostgresServer.TryDelete(directory);
        }
    }

    private static async Task RunOneAsync(IGrainFactory grains, string id)
    {
        var session = grains.GetGrain<IAgentSessionGrain>(id);
        await session.CreateAsync("assistant");
        var result = await session.SendAsync("hello");
        if (result.Status != RunStatus.Completed)
        {
            throw new InvalidOperationException($"Session {id}: the run ended {result.Status} ({result.Reason}).");
        }
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
