using AgentGrains.Tests.Infrastructure;
using System.Globalization;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Npgsql;

namespace AgentGrains.Bench;

/// <summary>The default mode: one durable agent message (submit, one step, the reply) and a read-only session call, next to a bare commit.</summary>
/// <remarks>
/// The agent's scripted model answers at once, so a message is one session call (<c>SendAsync</c>):
/// the message's turn (the session's watchdog registered on its first run, then the commit of the
/// message and the run's start), the driver's planning turn, the model call, the journaling turn and
/// its commit (the reply and the run's end), and the answer from the session's published view. The
/// bare commit is a one-row insert on the same kind of database in the same run.
/// </remarks>
internal static class DefaultBench
{
    private const string Agent = "bench-answer";
    private static readonly int[] CallerCounts = [1, 64];

    public static async Task RunAsync(double seconds, bool flush, string? postgres)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        // A fresh schema per run, so runs never see each other's rows.
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
        Directory.CreateDirectory(directory);
        try
        {
            Console.WriteLine(postgres is null
                ? $"AgentGrains bench (Orleans silo): SQLite (WAL, synchronous={(flush ? "FULL" : "NORMAL")}), {Environment.ProcessorCount} cores, {seconds.ToString(CultureInfo.InvariantCulture)} s per figure"
                : $"AgentGrains bench (Orleans silo): PostgreSQL (schema {schema}), {Environment.ProcessorCount} cores, {seconds.ToString(CultureInfo.InvariantCulture)} s per figure");
            Console.WriteLine();
            Console.WriteLine("| figure | concurrent callers | per second | p50 ms | p99 ms |");
            Console.WriteLine("|---|---|---|---|---|");

            if (postgres is null)
            {
                await using var bare = new BareSqlite(Path.Combine(directory, "bare.db"), flush);
                foreach (var clients in CallerCounts)
                {
                    Console.WriteLine(await Measurement.RunAsync("bare SQLite commit (one-row insert)", clients, duration, (_, _) => bare.CommitAsync()));
                }
            }
            else
            {
                await using var bare = await BarePostgres.CreateAsync(postgres, schema + "_bare");
                foreach (var clients in CallerCounts)
                {
                    Console.WriteLine(await Measurement.RunAsync("bare PostgreSQL commit (one-row insert)", clients, duration, (_, _) => bare.CommitAsync()));
                }
            }

            var settings = postgres is null
                ? new Dictionary<string, string?>
                {
                    ["Storage:Path"] = Path.Combine(directory, "grains.db"),
                    ["Storage:FlushEachCommit"] = flush.ToString(),
                }
                : new Dictionary<string, string?>
                {
                    ["Storage:Provider"] = "PostgreSQL",
                    ["ConnectionStrings:AgentGrains"] = postgres,
                    ["Storage:Schema"] = schema,
                };
            await using var silo = await BenchSilo.StartAsync(settings, services => BenchAgents.Add(services, null, BenchAgents.ToolLoop(Agent, toolSteps: 0)));

            foreach (var clients in CallerCounts)
            {
                var keys = Enumerable.Range(0, clients).Select(c => $"message-{clients}-{c}").ToArray();
                var sessions = keys.Select(k => silo.Grains.GetGrain<IAgentSessionGrain>(k)).ToArray();
                foreach (var session in sessions)
                {
                    await session.CreateAsync(Agent);
                }

                var runs = new MeasuredRuns();
                var messages = await Measurement.RunAsync(
                    "durable agent message (submit, one step, reply)",
                    clients,
                    duration,
                    async (c, i) =>
                    {
                        await runs.SendAsync(sessions[c], keys[c], i);
                    });
                Console.WriteLine(messages);

                var steps = new List<double>();
                foreach (var (session, runId) in runs.All)
                {
                    steps.AddRange((await RunJournal.ReadAsync(session, runId)).StepMs);
                }

                steps.Sort();
                Console.WriteLine(new Measurement.Result("its step, as journaled (run started → reply journaled)", clients, messages.PerSecond, RunJournal.Percentile(steps, 0.50), RunJournal.Percentile(steps, 0.99)));
            }

            var readers = Enumerable.Range(0, 8).Select(c => silo.Grains.GetGrain<IAgentSessionGrain>($"message-64-{c}")).ToArray();
            var readOnly = await Measurement.RunAsync(
                "read-only session call (GetInfoAsync, in memory)",
                8,
                duration,
                async (c, _) =>
                {
                    // 100 calls per measured operation keep the stopwatch out of the figure.
                    for (var i = 0; i < 100; i++)
                    {
                        await readers[c].GetInfoAsync();
                    }
                },
                recordLatency: false);
            Console.WriteLine(readOnly with { PerSecond = readOnly.PerSecond * 100 });
        }
        finally
        {
            if (postgres is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var connection = new NpgsqlConnection(postgres);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; DROP SCHEMA IF EXISTS \"{schema}_bare\" CASCADE", connection);
                await drop.ExecuteNonQueryAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestPostgresServer.TryDelete(directory);
        }
    }
}
