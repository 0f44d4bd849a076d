using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Npgsql;

namespace AgentGrains.Bench;

/// <summary>The peer-comparison mode: a fixed number of runs of a fixed number of no-op tool steps, so many at a time, on one silo over a given PostgreSQL.</summary>
/// <remarks>
/// <para>The agent's offline model calls the no-op tool <c>steps</c> times, then answers. A step is
/// one model reply and its tool result, journaled in one commit (the tool is free of side effects,
/// so it runs before the reply is journaled); the final answer is journaled too but not counted.</para>
/// <para>Each of the <c>concurrency</c> workers has its own session, created (and warmed up by one run
/// of its own) before the clock starts, and runs its share of the runs one after the other, as
/// messages of one conversation. Steps/s is runs × steps over the wall time from the first submit to
/// the last reply; the per-step latencies come from the journal (<see cref="RunJournal"/>): the time
/// from the previous step's journaled reply (or the run's start) to this step's.</para>
/// <para>Everything goes in a schema of its own, dropped at the end. Standard output gets exactly
/// one JSON line; anything else goes to standard error.</para>
/// </remarks>
internal static class PeersBench
{
    private const string Agent = "bench-peers";

    public static async Task RunAsync(string connectionString, int runs, int stepsPerRun, int concurrency)
    {
        var schema = "bench_peers_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "PostgreSQL",
                ["ConnectionStrings:AgentGrains"] = connectionString,
                ["Storage:Schema"] = schema,
            };
            await using var silo = await BenchSilo.StartAsync(settings, services => BenchAgents.Add(services, null, BenchAgents.ToolLoop(Agent, stepsPerRun)));
            var sessions = Enumerable.Range(0, concurrency).Select(c => silo.Grains.GetGrain<IAgentSessionGrain>($"peers-{c}")).ToArray();
            await Task.WhenAll(sessions.Select(async s =>
            {
                await s.CreateAsync(Agent);
                await RunOneAsync(s);
            }));

            var finished = new ConcurrentBag<(IAgentSessionGrain Session, string RunId)>();
            var next = -1;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(sessions.Select(async session =>
            {
                while (Interlocked.Increment(ref next) < runs)
                {
                    finished.Add((session, await RunOneAsync(session)));
                }
            }));
            var elapsed = wall.Elapsed;

            var steps = new List<double>(runs * stepsPerRun);
            foreach (var (session, runId) in finished)
            {
                var journal = await RunJournal.ReadAsync(session, runId);
                if (journal.StepMs.Count != stepsPerRun + 1)
                {
                    throw new InvalidOperationException($"Run {runId} journaled {journal.StepMs.Count} model replies; {stepsPerRun + 1} were expected.");
                }

                // The tool steps; the last interval is the final answer.
                steps.AddRange(journal.StepMs.Take(stepsPerRun));
            }

            steps.Sort();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $$"""{"peer":"agentgrains","concurrency":{{concurrency}},"steps_per_s":{{steps.Count / elapsed.TotalSeconds:0.0}},"step_ms_p50":{{RunJournal.Percentile(steps, 0.50):0.000}},"step_ms_p99":{{RunJournal.Percentile(steps, 0.99):0.000}}}"""));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
                await drop.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException ex)
            {
                // Best effort: a failure to reach the server is what the bench reports, not this.
                await Console.Error.WriteLineAsync($"Schema {schema} was not dropped: {ex.Message}");
            }
        }
    }

    private static async Task<string> RunOneAsync(IAgentSessionGrain session)
    {
        var sent = await session.SendAsync("go", TimeSpan.FromMinutes(10));
        return sent.Status == RunStatus.Completed
            ? sent.RunId
            : throw new InvalidOperationException($"Run {sent.RunId} ended {sent.Status}: {sent.Reason}");
    }
}
