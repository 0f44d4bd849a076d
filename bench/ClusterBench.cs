using AgentGrains.Tests.Infrastructure;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Npgsql;

namespace AgentGrains.Bench;

/// <summary>
/// Durable agent steps on a cluster of 1, 2 and 3 Orleans silos over one PostgreSQL, each figure
/// next to the floor pgbench measures on the same server in the same run.
/// </summary>
/// <remarks>
/// <para>The silos run in this process as separate hosts, each composed as the silo executable is:
/// ADO.NET membership in PostgreSQL (<c>Cluster:Provider=AdoNet</c>), journals, reminders and grain
/// state in one schema, silo-to-silo messaging over loopback TCP on ports of their own. A new cluster
/// (its own schema and cluster id) is started for each number of silos.</para>
/// <para>Each concurrent caller has its own session and runs the steps bench's two-step run (no-op
/// tool, then the answer) again and again. Caller c creates its session through silo <c>c mod N</c>
/// and sends message i through silo <c>(c + i) mod N</c>, so with several silos most submits and
/// waits cross silos, as a gateway's calls do, while the steps run where the session lives. Orleans
/// places each session (resource-optimized placement, the default since 9.2); the table shows how
/// many runs each silo held.</para>
/// <para>Right before each figure pgbench runs a one-row insert per transaction with as many
/// clients as concurrent runs; the ratio is steps/s over pgbench transactions/s. Right after it the
/// same callers read their sessions through the same rotation of silos (a call answered from
/// memory): Orleans alone on the same path, the floor of the silo-count ratio.</para>
/// <para>The three clusters run side by side for the whole bench and the silo counts take turns,
/// round after round: a noisy stretch of a shared machine falls on all of them, and each figure is
/// the median of its rounds.</para>
/// </remarks>
internal static class ClusterBench
{
    private const int StepsPerRun = 2;
    private const string Agent = "bench-steps";
    private static readonly int[] SiloCounts = [1, 2, 3];
    private static readonly int[] RunCounts = [1, 64];

    /// <summary>Long enough for the silos' journals to close their idle connections (idle lifetime 1 s, pruned every second).</summary>
    private static readonly TimeSpan IdleConnectionsClosed = TimeSpan.FromSeconds(3);

    /// <summary>How many times each figure is measured, the silo counts taking turns.</summary>
    private const int Rounds = 3;

    public static async Task RunAsync(int seconds, string? connectionString)
    {
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        var prefix = "bench_" + Guid.NewGuid().ToString("N")[..12];
        Directory.CreateDirectory(directory);
        TestPostgresServer? server = null;
        // Interrupted (Ctrl+C, kill): the signal may end the process without running finally, so clean up first.
        using var cleanup = OnTermination(() =>
        {
            server?.Stop();
            TestPostgresServer.TryDelete(directory);
        });
        try
        {
            string bin;
            if (connectionString is null)
            {
                server = await TestPostgresServer.StartAsync();
                connectionString = server.ConnectionString;
                bin = server.Bin;
            }
            else
            {
                bin = TestPostgresServer.FindBinaries() ?? throw new InvalidOperationException("pgbench was not found: install PostgreSQL's client tools.");
            }

            var pgbench = await PgBench.CreateAsync(bin, connectionString, prefix + "_floor", directory);
            Console.WriteLine($"AgentGrains cluster bench (Orleans silos, ADO.NET membership): {await DescribeServerAsync(connectionString)}, {Environment.ProcessorCount} cores, {seconds} s per figure");
            Console.WriteLine(server is null ? "(server given on the command line)" : "(throwaway server started by the bench)");
            Console.WriteLine();
            var rows = new List<string>();
            var cpu = new List<string>();
            var phases = new List<string>();
            var hopRows = new List<string>();
            var clusters = new List<(int Silos, Cluster Cluster, StepTimeline Timeline)>();
            try
            {
                // Every cluster runs for the whole bench, so each figure has the same neighbours; the
                // silo counts then take turns, round after round, so a noisy stretch of the machine
                // falls on all of them, and each figure is the median of its rounds.
                foreach (var silos in SiloCounts)
                {
                    var timeline = new StepTimeline();
                    clusters.Add((silos, await StartClusterAsync(connectionString, $"{prefix}_s{silos}", silos, timeline), timeline));
                }

                var rounds = new Dictionary<(int Silos, int Runs), List<(Figure Figure, PgBench.Result Floor, double FloorCpu)>>();
                var hops = new Dictionary<(int Silos, int Runs), List<(double CallsPerSecond, double CpuPerCallMs)>>();
                for (var round = 1; round <= Rounds; round++)
                {
                    foreach (var (silos, cluster, timeline) in clusters)
                    {
                        foreach (var runs in RunCounts)
                        {
                            // Idle pooled connections are closed first (Orleans' at once, the journals' once
                            // idle for a second), so pgbench's clients fit under the server's connection limit.
                            NpgsqlConnection.ClearAllPools();
                            await Task.Delay(IdleConnectionsClosed);
                            var machine = CpuSample.Take();
                            var floor = await pgbench.RunAsync(runs, seconds);
                            var floorCpu = CpuSample.Take().MachineCoresSince(machine);
                            var figure = await MeasureAsync(cluster.Silos, runs, TimeSpan.FromSeconds(seconds), timeline);
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: {silos} silo(s), {runs} run(s): {figure.StepsPerSecond:N0} steps/s, pgbench {floor.Tps:N0} tps"));
                            if (!rounds.TryGetValue((silos, runs), out var measured))
                            {
                                rounds[(silos, runs)] = measured = [];
                            }

                            measured.Add((figure, floor, floorCpu));
                            var hop = await MeasureHopAsync(cluster.Silos, runs, TimeSpan.FromSeconds(seconds));
                            if (!hops.TryGetValue((silos, runs), out var hopRounds))
                            {
                                hops[(silos, runs)] = hopRounds = [];
                            }

                            hopRounds.Add(hop);
                        }
                    }
                }

                foreach (var ((silos, runs), measured) in rounds)
                {
                    var all = string.Join(" / ", measured.Select(static m => m.Figure.StepsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
                    var (figure, floor, floorCpu) = MedianRound(measured);
                    rows.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {silos} | {runs} | {figure.StepsPerSecond:N0} | {all} | {figure.P50:0.000} | {figure.P99:0.000} | {figure.RunsPerSilo} | {floor.Tps:N0} | {floor.LatencyAverageMs:0.000} | {figure.StepsPerSecond / floor.Tps:0.00} |"));
                    phases.Add($"| {silos} | {runs} | {string.Join(" | ", Phases(figure.Phases))} |");
                    cpu.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {silos} | {runs} | {figure.BenchCores:0.00} | {figure.BenchCores * 1000 / figure.StepsPerSecond:0.000} | {figure.MachineCores:0.00} | {floorCpu:0.00} |"));
                }

                foreach (var ((silos, runs), measured) in hops)
                {
                    var (callsPerSecond, cpuPerCall) = measured.OrderBy(static m => m.CallsPerSecond).ElementAt(measured.Count / 2);
                    hopRows.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {silos} | {runs} | {callsPerSecond:N0} | {string.Join(" / ", measured.Select(static m => m.CallsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))} | {cpuPerCall:0.000} |"));
                }

                foreach (var runs in RunCounts)
                {
                    var one = hops[(1, runs)].Select(static m => m.CallsPerSecond).Order().ElementAt(Rounds / 2);
                    hopRows.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {string.Join(" / ", SiloCounts.Skip(1).Select(s => $"{s} silos ÷ 1"))} | {runs} | {string.Join(" / ", SiloCounts.Skip(1).Select(s => (hops[(s, runs)].Select(static m => m.CallsPerSecond).Order().ElementAt(Rounds / 2) / one).ToString("0.00", CultureInfo.InvariantCulture)))} | | |"));
                }

                foreach (var runs in RunCounts)
                {
                    var one = MedianRound(rounds[(1, runs)]).Figure.StepsPerSecond;
                    rows.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {string.Join(" / ", SiloCounts.Skip(1).Select(s => $"{s} silos ÷ 1"))} | {runs} | {string.Join(" / ", SiloCounts.Skip(1).Select(s => (MedianRound(rounds[(s, runs)]).Figure.StepsPerSecond / one).ToString("0.00", CultureInfo.InvariantCulture)))} | | | | | | | |"));
                }
            }
            finally
            {
                for (var i = clusters.Count - 1; i >= 0; i--)
                {
                    await clusters[i].Cluster.DisposeAsync();
                }
            }

            Console.WriteLine();
            Console.WriteLine($"Each figure is the round with the median steps/s of {Rounds} (every round's steps/s shown); its other columns are that round's.");
            Console.WriteLine();
            Console.WriteLine("| silos | concurrent runs | steps/s | every round | step p50 ms | step p99 ms | runs per silo | pgbench tps (one-row insert, as many clients) | pgbench latency avg ms | steps/s ÷ pgbench tps |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
            rows.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine("Orleans alone on the same path: each caller reads its session (GetInfoAsync, answered from memory, no run, no storage) through the same rotation of silos, so the figure is what the calls' hops cost without the work they carry:");
            Console.WriteLine();
            Console.WriteLine("| silos | concurrent callers | calls/s | every round | bench process CPU per call, ms |");
            Console.WriteLine("|---|---|---|---|---|");
            hopRows.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine("Where a step's time goes (StepTimeline, all silos' sessions; p50 ms, mean in brackets; the reminder service of a grain runs on the silo that owns its hash range):");
            Console.WriteLine();
            Console.WriteLine($"| silos | concurrent runs | {string.Join(" | ", PhaseColumns)} |");
            Console.WriteLine($"|---|---|{string.Concat(PhaseColumns.Select(static _ => "---|"))}");
            phases.ForEach(Console.WriteLine);
            if (CpuSample.Available)
            {
                Console.WriteLine();
                Console.WriteLine("CPU used while measuring (cores busy, out of " + Environment.ProcessorCount + "; the whole machine counts anything else running too):");
                Console.WriteLine();
                Console.WriteLine("| silos | concurrent runs | bench process (silos + callers) | bench process CPU per step, ms | whole machine, AgentGrains | whole machine, pgbench |");
                Console.WriteLine("|---|---|---|---|---|---|");
                cpu.ForEach(Console.WriteLine);
            }
        }
        finally
        {
            try
            {
                NpgsqlConnection.ClearAllPools();
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
                else if (connectionString is not null)
                {
                    await DropAsync(connectionString, prefix);
                }
            }
            finally
            {
                TestPostgresServer.TryDelete(directory);
            }
        }
    }

    /// <summary>Starts <paramref name="count"/> silos of one new cluster, one after the other, and waits until each sees them all active.</summary>
    private static readonly string[] PhaseColumns = ["planning hop", "journaling hop", "journal commit", "reminder upsert", "reminder delete", "session turn"];

    private static IEnumerable<string> Phases(IReadOnlyList<StepTimeline.Phase> phases) =>
        PhaseColumns.Select(column => phases.FirstOrDefault(p => p.Key == column) is { } phase
            ? string.Create(CultureInfo.InvariantCulture, $"{phase.P50Ms:0.000} ({phase.MeanMs:0.000})")
            : "-");

    private static async Task<Cluster> StartClusterAsync(string connectionString, string schema, int count, StepTimeline timeline)
    {
        var cluster = new Cluster();
        try
        {
            for (var i = 0; i < count; i++)
            {
                cluster.Silos.Add(await BenchSilo.StartAsync(
                    new Dictionary<string, string?>
                    {
                        ["Storage:Provider"] = "PostgreSQL",
                        // Six silos stay up for the whole bench, each journal with a pool of its own: idle
                        // connections close after a second, so pgbench's clients fit under the server's limit.
                        ["ConnectionStrings:AgentGrains"] = new NpgsqlConnectionStringBuilder(connectionString) { ConnectionIdleLifetime = 1, ConnectionPruningInterval = 1 }.ConnectionString,
                        ["Storage:Schema"] = schema,
                        ["Cluster:Provider"] = "AdoNet",
                        ["Orleans:ClusterId"] = schema,
                        ["Orleans:ServiceId"] = schema,
                        ["Orleans:AdvertisedIP"] = "127.0.0.1",
                    },
                    services =>
                    {
                        BenchAgents.Add(services, timeline, BenchAgents.ToolLoop(Agent, StepsPerRun - 1, timeline));
                        timeline.Instrument(services);
                    }));
            }

            var deadline = Stopwatch.StartNew();
            while (!cluster.Silos.All(s => s.ActiveSilos() == count))
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new InvalidOperationException($"The {count} silos did not all see each other as active within 60 s (they see {string.Join(", ", cluster.Silos.Select(s => s.ActiveSilos()))}).");
                }

                await Task.Delay(100);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static async Task<Figure> MeasureAsync(List<BenchSilo> silos, int concurrent, TimeSpan duration, StepTimeline timeline)
    {
        var n = silos.Count;
        var keys = Enumerable.Range(0, concurrent).Select(c => $"cluster-{concurrent}-{c}").ToArray();
        // refs[silo][caller]: the caller's session, reached through that silo.
        var refs = silos.Select(s => keys.Select(k => s.Grains.GetGrain<IAgentSessionGrain>(k)).ToArray()).ToArray();
        for (var c = 0; c < concurrent; c++)
        {
            await refs[c % n][c].CreateAsync(Agent);
        }

        var runs = new MeasuredRuns();
        var process = Process.GetCurrentProcess();
        var processStart = process.TotalProcessorTime;
        var machine = CpuSample.Take();
        var wall = Stopwatch.StartNew();
        timeline.Clear();
        timeline.Enabled = true;
        var result = await Measurement.RunAsync(
            $"{n} silo(s)",
            concurrent,
            duration,
            async (c, i) =>
            {
                // Round-robin over the silos, per message: caller c's message i enters through silo (c + i) mod N.
                var session = refs[(int)(((c + i) % n + n) % n)][c];
                await runs.SendAsync(session, keys[c], i);
            });
        var elapsed = wall.Elapsed.TotalSeconds;
        timeline.Enabled = false;
        process.Refresh();
        var benchCores = (process.TotalProcessorTime - processStart).TotalSeconds / elapsed;
        var machineCores = CpuSample.Take().MachineCoresSince(machine);

        var steps = new List<double>();
        var perSilo = new int[n];
        foreach (var (session, runId) in runs.All)
        {
            var journal = await RunJournal.ReadAsync(session, runId);
            steps.AddRange(journal.StepMs);
            for (var s = 0; s < n; s++)
            {
                if (journal.View.Silo?.Contains(silos[s].Name + ":", StringComparison.Ordinal) == true)
                {
                    perSilo[s]++;
                }
            }
        }

        steps.Sort();
        return new Figure(
            result.PerSecond * StepsPerRun,
            RunJournal.Percentile(steps, 0.50),
            RunJournal.Percentile(steps, 0.99),
            string.Join(" / ", perSilo.Select(static r => r.ToString("N0", CultureInfo.InvariantCulture))),
            benchCores,
            machineCores,
            timeline.Analyze());
    }

    /// <summary>The same callers, sessions and rotation of entry silos as <see cref="MeasureAsync"/>, each call a read answered from the session's memory.</summary>
    private static async Task<(double CallsPerSecond, double CpuPerCallMs)> MeasureHopAsync(List<BenchSilo> silos, int concurrent, TimeSpan duration)
    {
        var n = silos.Count;
        var keys = Enumerable.Range(0, concurrent).Select(c => $"cluster-{concurrent}-{c}").ToArray();
        var refs = silos.Select(s => keys.Select(k => s.Grains.GetGrain<IAgentSessionGrain>(k)).ToArray()).ToArray();
        var process = Process.GetCurrentProcess();
        var processStart = process.TotalProcessorTime;
        var result = await Measurement.RunAsync(
            $"{n} silo(s), reads",
            concurrent,
            duration,
            async (c, i) =>
            {
                if (await refs[(int)(((c + i) % n + n) % n)][c].GetInfoAsync() is null)
                {
                    throw new InvalidOperationException($"Session {keys[c]} was not found.");
                }
            },
            recordLatency: false);
        process.Refresh();
        var calls = result.PerSecond * duration.TotalSeconds;
        return (result.PerSecond, (process.TotalProcessorTime - processStart).TotalMilliseconds / calls);
    }

    /// <summary>Runs <paramref name="cleanup"/> when the process is told to end; the signal then ends it as usual.</summary>
    private static Registrations OnTermination(Action cleanup) =>
        new([.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT, PosixSignal.SIGHUP }
            .Select(signal => PosixSignalRegistration.Create(signal, _ => cleanup()))]);

    private static async Task<string> DescribeServerAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return $"PostgreSQL {reader.GetString(0)} (fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)})";
    }

    private static async Task DropAsync(string connectionString, string prefix)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var schemas = string.Join(" ", SiloCounts.Select(s => $"DROP SCHEMA IF EXISTS \"{prefix}_s{s}\" CASCADE;"));
        await using var drop = new NpgsqlCommand($"{schemas} DROP SCHEMA IF EXISTS \"{prefix}_floor\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>The round with the median steps/s.</summary>
    private static (Figure Figure, PgBench.Result Floor, double FloorCpu) MedianRound(List<(Figure Figure, PgBench.Result Floor, double FloorCpu)> measured) =>
        measured.OrderBy(static m => m.Figure.StepsPerSecond).ElementAt(measured.Count / 2);

    private sealed record Figure(double StepsPerSecond, double P50, double P99, string RunsPerSilo, double BenchCores, double MachineCores, IReadOnlyList<StepTimeline.Phase> Phases);

    /// <summary>The silos of one cluster; stopped last first, so the first (the oldest) sees the others leave.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        public List<BenchSilo> Silos { get; } = [];

        public async ValueTask DisposeAsync()
        {
            for (var i = Silos.Count - 1; i >= 0; i--)
            {
                await Silos[i].DisposeAsync();
            }
        }
    }

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
