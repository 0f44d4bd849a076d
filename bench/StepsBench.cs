using AgentGrains.Tests.Infrastructure;
using System.Globalization;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Bench;

/// <summary>One durable agent step on an Orleans silo, next to one bare commit of the same database.</summary>
/// <remarks>
/// <para>Each run is two steps: the scripted model (answering at once, no network) calls a no-op tool
/// free of side effects, which runs before the reply is journaled and commits with it; then it
/// answers, which journals the reply and ends the run. A step is therefore: the driver's planning
/// turn, the model call, the tool call (step 1), the journaling turn and its commit. The figure is
/// what the runtime adds around a model call, which in production takes hundreds of milliseconds.</para>
/// <para>Step latency comes from the journal (<see cref="RunJournal"/>); steps/s counts completed
/// runs × 2 over the measured time; "run wall time ÷ 2" is the run's start→end halved. Each run has
/// its own session (64 sessions for 64 concurrent runs); callers submit and wait for the reply.</para>
/// <para>"Journal commit alone" is <see cref="JournalFloor"/>: the silo's journal committing copies of
/// the largest step commit of the figure, with as many callers, right after it.</para>
/// <para>"Bench CPU per step" is the processor time of this whole process (silo, callers and, for
/// SQLite, the database engine) over the figure, per step: it includes the silo's fixed background
/// work, so it means most at 64 runs, where it is what caps steps/s on two shared cores.</para>
/// <para>With <c>delegate</c>, step 1 calls <c>echo</c>, a specialist written as code, instead of the
/// tool: each call is a durable run of its own in a session of its own. The extra column is that
/// call's duration as the manager journals it.</para>
/// </remarks>
internal static class StepsBench
{
    private const int StepsPerRun = 2;
    private const string Agent = "bench-steps";
    private static readonly int[] RunCounts = [1, 64];

    public static async Task RunAsync(int seconds, bool delegated)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        TestPostgresServer? server = null;
        try
        {
            Console.WriteLine($"AgentGrains steps bench (Orleans silo): {Environment.ProcessorCount} cores, {seconds} s per figure; each run = {StepsPerRun} steps ({(delegated ? "a call of a code specialist" : "no-op tool")}, then answer)");
            Console.WriteLine();
            var rows = new List<string>();
            var profiles = new List<(string Storage, int Runs, IReadOnlyList<StepTimeline.Phase> Phases)>();

            await using (var bare = new BareSqlite(Path.Combine(directory, "bare.db"), flush: true))
            {
                var commits = await MeasureBareAsync("bare SQLite commit", duration, bare.CommitAsync);
                var sqlite = new Dictionary<string, string?>
                {
                    ["Storage:Path"] = Path.Combine(directory, "grains.db"),
                    ["Storage:FlushEachCommit"] = "true",
                };
                await MeasureStepsAsync("SQLite", sqlite, commits, duration, delegated, rows, profiles);
            }

            server = await TestPostgresServer.StartAsync();
            await using (var bare = await BarePostgres.CreateAsync(server.ConnectionString, "bench_bare"))
            {
                var commits = await MeasureBareAsync("bare PostgreSQL commit", duration, bare.CommitAsync);
                var postgres = new Dictionary<string, string?>
                {
                    ["Storage:Provider"] = "PostgreSQL",
                    ["ConnectionStrings:AgentGrains"] = server.ConnectionString,
                    ["Storage:Schema"] = "bench_steps",
                };
                await MeasureStepsAsync("PostgreSQL", postgres, commits, duration, delegated, rows, profiles);
            }

            Console.WriteLine();
            Console.WriteLine("| storage | concurrent runs | steps/s | step p50 ms | step p99 ms | run wall time ÷ 2, p50 ms | step 1 call p50 ms | journal commit alone p50 ms / per s | bare commit p50 ms (same callers) | bare commits/s (same callers) | step p50 ÷ bare p50 | steps/s ÷ bare commits/s | bench CPU per step, ms |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            rows.ForEach(Console.WriteLine);
            foreach (var (storage, runs, phases) in profiles)
            {
                Console.WriteLine();
                Console.WriteLine($"Where a step's time goes: {storage}, {runs} concurrent run(s), all sessions' events of the measured period:");
                Console.WriteLine();
                Console.WriteLine("| phase | per step | p50 ms | mean ms |");
                Console.WriteLine("|---|---|---|---|");
                foreach (var phase in phases)
                {
                    Console.WriteLine(phase);
                }
            }
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            TestPostgresServer.TryDelete(directory);
        }
    }

    private static async Task<Dictionary<int, Measurement.Result>> MeasureBareAsync(string name, TimeSpan duration, Func<Task> commit)
    {
        var results = new Dictionary<int, Measurement.Result>();
        foreach (var callers in RunCounts)
        {
            results[callers] = await Measurement.RunAsync($"{name} (one-row insert)", callers, duration, (_, _) => commit());
            Console.WriteLine(results[callers]);
        }

        return results;
    }

    private static async Task MeasureStepsAsync(
        string storage,
        Dictionary<string, string?> settings,
        Dictionary<int, Measurement.Result> bare,
        TimeSpan duration,
        bool delegated,
        List<string> rows,
        List<(string, int, IReadOnlyList<StepTimeline.Phase>)> profiles)
    {
        var timeline = new StepTimeline();
        await using var silo = await BenchSilo.StartAsync(settings, services =>
        {
            BenchAgents.Add(services, timeline, delegated ? BenchAgents.Delegating(Agent, timeline) : BenchAgents.ToolLoop(Agent, StepsPerRun - 1, timeline));
            timeline.Instrument(services);
        });
        var floors = new Dictionary<int, Measurement.Result>();

        foreach (var concurrent in RunCounts)
        {
            var keys = Enumerable.Range(0, concurrent).Select(c => $"steps-{concurrent}-{c}").ToArray();
            var sessions = keys.Select(k => silo.Grains.GetGrain<IAgentSessionGrain>(k)).ToArray();
            foreach (var session in sessions)
            {
                await session.CreateAsync(Agent);
            }

            var runs = new MeasuredRuns();
            timeline.Clear();
            timeline.Enabled = true;
            var process = System.Diagnostics.Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var result = await Measurement.RunAsync(
                $"{storage}: agent run ({StepsPerRun} steps)",
                concurrent,
                duration,
                async (c, i) =>
                {
                    await runs.SendAsync(sessions[c], keys[c], i);
                });
            timeline.Enabled = false;
            process.Refresh();
            // Silo, callers and (for SQLite) the database engine: everything this process spent, per measured step (warm-up included, a run per caller).
            var cpuPerStep = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / ((runs.All.Count + concurrent) * StepsPerRun);
            Console.WriteLine(result);
            if (!delegated)
            {
                profiles.Add((storage, concurrent, timeline.Analyze()));
            }

            // The journal alone, committing what a step of this figure committed, with as many callers.
            var timed = (TimedSessionJournal)silo.Host.Services.GetRequiredService<AgentGrains.Storage.Journal.ISessionJournal>();
            floors[concurrent] = await JournalFloor.MeasureAsync(
                timed,
                timed.LargestStep ?? throw new InvalidOperationException("No step commit was seen."),
                $"{storage}: journal commit alone (a step's rows, no grain)",
                concurrent,
                duration);
            Console.WriteLine(floors[concurrent]);

            var steps = new List<double>();
            var wall = new List<double>();
            var calls = new List<double>();
            foreach (var (session, runId) in runs.All)
            {
                var journal = await RunJournal.ReadAsync(session, runId);
                steps.AddRange(journal.StepMs);
                wall.Add(journal.View.DurationMs!.Value / StepsPerRun);
                calls.Add(journal.View.Steps[0].ToolCalls[0].DurationMs ?? double.NaN);
            }

            steps.Sort();
            wall.Sort();
            calls.Sort();
            var stepsPerSecond = result.PerSecond * StepsPerRun;
            var p50 = RunJournal.Percentile(steps, 0.50);
            rows.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"| {storage} | {concurrent} | {stepsPerSecond:N0} | {p50:0.000} | {RunJournal.Percentile(steps, 0.99):0.000} | {RunJournal.Percentile(wall, 0.50):0.000} | {RunJournal.Percentile(calls, 0.50):0.000} | {floors[concurrent].P50Ms:0.000} / {floors[concurrent].PerSecond:N0} | {bare[concurrent].P50Ms:0.000} | {bare[concurrent].PerSecond:N0} | {p50 / bare[concurrent].P50Ms:0.00} | {stepsPerSecond / bare[concurrent].PerSecond:0.00} | {cpuPerStep:0.000} |"));
        }
    }
}
