using System.Diagnostics;
using System.Globalization;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Dashboard;

namespace AgentGrains.Bench;

/// <summary>What the Orleans Dashboard of the silo executable costs: the same calls with it off, on with nobody watching, and on while watched.</summary>
/// <remarks>
/// <para>The dashboard adds to a silo a grain call filter on every incoming grain call (requests and
/// grain-timer turns alike), a metrics reader of Orleans' instruments exporting every second, a grain
/// service that samples the silo's statistics every second and its own grains. The filter only passes
/// the call on until someone reads the dashboard; from then until one to two minutes after the last read it
/// times every call and aggregates it per grain method. "Watched" turns that on for the whole
/// measurement (<see cref="GrainProfilerOptions.TraceAlways"/>), as a browser left open on the dashboard does.</para>
/// <para>Each measurement starts a silo of its own over a fresh SQLite file (WAL, synchronous=FULL),
/// so the three settings meet the same conditions; they take turns, in a rotating order, for
/// <see cref="Rounds"/> rounds, and the figures are the medians. CPU is the bench process's (the silo
/// and its callers) over the measured calls.</para>
/// </remarks>
internal static class DashboardBench
{
    private const string Agent = "bench-answer";
    private const int Rounds = 3;
    private const int ReadCallers = 8;
    private const int ReadsPerOperation = 100;
    private const int MessageCallers = 64;

    private static readonly Setting[] Settings = [Setting.Off, Setting.Unwatched, Setting.Watched];

    private enum Setting
    {
        Off,
        Unwatched,
        Watched,
    }

    public static async Task RunAsync(double seconds)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        Console.WriteLine($"AgentGrains bench (Orleans silo): the Orleans Dashboard's cost, SQLite (WAL, synchronous=FULL), {Environment.ProcessorCount} cores, {seconds.ToString(CultureInfo.InvariantCulture)} s per figure, {Rounds} rounds");
        Console.WriteLine();

        var figures = Settings.ToDictionary(static s => s, static _ => new List<Figures>());
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < Settings.Length; i++)
            {
                var setting = Settings[(round + i) % Settings.Length];
                figures[setting].Add(await MeasureAsync(setting, duration));
            }
        }

        Console.WriteLine($"| dashboard | read-only session calls/s ({ReadCallers} callers) | every round | CPU per call, µs | durable agent messages/s ({MessageCallers} callers) | every round | message p50 ms | CPU per message, ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var setting in Settings)
        {
            var all = figures[setting];
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {Describe(setting)} | {Median(all, static f => f.ReadsPerSecond):N0} | {string.Join(" / ", all.Select(static f => f.ReadsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))} | {Median(all, static f => f.CpuPerReadUs):0.00} | {Median(all, static f => f.MessagesPerSecond):N0} | {string.Join(" / ", all.Select(static f => f.MessagesPerSecond.ToString("N0", CultureInfo.InvariantCulture)))} | {Median(all, static f => f.MessageP50Ms):0.000} | {Median(all, static f => f.CpuPerMessageMs):0.000} |"));
        }

        var off = figures[Setting.Off];
        foreach (var setting in new[] { Setting.Unwatched, Setting.Watched })
        {
            var on = figures[setting];
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {Describe(setting)} ÷ off | {Median(on, static f => f.ReadsPerSecond) / Median(off, static f => f.ReadsPerSecond):0.00} | | {Median(on, static f => f.CpuPerReadUs) / Median(off, static f => f.CpuPerReadUs):0.00} | {Median(on, static f => f.MessagesPerSecond) / Median(off, static f => f.MessagesPerSecond):0.00} | | | {Median(on, static f => f.CpuPerMessageMs) / Median(off, static f => f.CpuPerMessageMs):0.00} |"));
        }
    }

    private static async Task<Figures> MeasureAsync(Setting setting, TimeSpan duration)
    {
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Storage:Path"] = Path.Combine(directory, "grains.db"),
                ["Storage:FlushEachCommit"] = "true",
            };
            await using var silo = await BenchSilo.StartAsync(
                settings,
                services => BenchAgents.Add(services, null, BenchAgents.ToolLoop(Agent, toolSteps: 0)),
                orleans =>
                {
                    if (setting != Setting.Off)
                    {
                        orleans.AddDashboard();
                        orleans.Services.Configure<GrainProfilerOptions>(o => o.TraceAlways = setting == Setting.Watched);
                    }
                });

            var keys = Enumerable.Range(0, MessageCallers).Select(static c => $"dashboard-{c}").ToArray();
            var sessions = keys.Select(k => silo.Grains.GetGrain<IAgentSessionGrain>(k)).ToArray();
            foreach (var session in sessions)
            {
                await session.CreateAsync(Agent);
            }

            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var runs = new MeasuredRuns();
            var messages = await Measurement.RunAsync(
                "durable agent message",
                MessageCallers,
                duration,
                async (c, i) => await runs.SendAsync(sessions[c], keys[c], i));
            process.Refresh();
            var cpuPerMessageMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / (messages.PerSecond * duration.TotalSeconds);

            cpu = process.TotalProcessorTime;
            var reads = await Measurement.RunAsync(
                "read-only session call",
                ReadCallers,
                duration,
                async (c, _) =>
                {
                    // Many calls per measured operation keep the stopwatch out of the figure.
                    for (var i = 0; i < ReadsPerOperation; i++)
                    {
                        await sessions[c].GetInfoAsync();
                    }
                },
                recordLatency: false);
            process.Refresh();
            var readsPerSecond = reads.PerSecond * ReadsPerOperation;
            var cpuPerReadUs = (process.TotalProcessorTime - cpu).TotalMicroseconds / (readsPerSecond * duration.TotalSeconds);

            return new Figures(readsPerSecond, cpuPerReadUs, messages.PerSecond, messages.P50Ms, cpuPerMessageMs);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestPostgresServer.TryDelete(directory);
        }
    }

    private static string Describe(Setting setting) => setting switch
    {
        Setting.Off => "off (`Dashboard:Enabled=false`)",
        Setting.Unwatched => "on, nobody watching",
        _ => "on, watched (every grain call timed)",
    };

    private static double Median(List<Figures> figures, Func<Figures, double> value)
    {
        var sorted = figures.Select(value).Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private sealed record Figures(double ReadsPerSecond, double CpuPerReadUs, double MessagesPerSecond, double MessageP50Ms, double CpuPerMessageMs);
}
