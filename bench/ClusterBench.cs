using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AgentGrains.Runtime.Testing;
using Npgsql;

namespace AgentGrains.Bench;

/// <summary>
/// Durable calls through a cluster of 1, 2 and 3 silos on one PostgreSQL, each figure next to the
/// floor pgbench measures on the same server in the same run.
/// </summary>
/// <remarks>
/// <para>The silos run in this process over one schema. Each caller has its own grain and sends
/// each call through the next silo in turn, so with several silos most calls enter a silo that
/// does not own the grain: the inbox row is written there, the owner is woken (LISTEN/NOTIFY),
/// runs the turn and sends the reply back the same way.</para>
/// <para>Right before each figure pgbench runs a one-row insert per transaction with the same
/// number of clients; the ratio is AgentGrains calls/s over pgbench transactions/s.</para>
/// </remarks>
internal static class ClusterBench
{
    private static readonly int[] SiloCounts = [1, 2, 3];
    private static readonly int[] CallerCounts = [1, 64];

    public static async Task RunAsync(int seconds, string? connectionString)
    {
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
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

            var pgbench = await PgBench.CreateAsync(bin, connectionString, schema + "_floor", directory);
            Console.WriteLine($"AgentGrains cluster bench: {await DescribeServerAsync(connectionString)}, {Environment.ProcessorCount} cores, {seconds} s per figure");
            Console.WriteLine(server is null ? "(server given on the command line)" : "(throwaway server started by the bench)");
            Console.WriteLine();
            Console.WriteLine("| silos | concurrent callers | durable calls/s | p50 ms | p99 ms | pgbench tps (one-row insert) | pgbench latency avg ms | calls/s ÷ pgbench tps |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            var cpu = new List<string>();
            foreach (var silos in SiloCounts)
            {
                foreach (var callers in CallerCounts)
                {
                    var machine = CpuSample.Take();
                    var floor = await pgbench.RunAsync(callers, seconds);
                    var floorCpu = CpuSample.Take().MachineCoresSince(machine);

                    var (calls, benchCores, machineCores) = await MeasureAsync(connectionString, schema, silos, callers, TimeSpan.FromSeconds(seconds));
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {silos} | {callers} | {calls.PerSecond:N0} | {calls.P50Ms:0.000} | {calls.P99Ms:0.000} | {floor.Tps:N0} | {floor.LatencyAverageMs:0.000} | {calls.PerSecond / floor.Tps:0.00} |"));
                    cpu.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {silos} | {callers} | {benchCores:0.00} | {machineCores:0.00} | {floorCpu:0.00} |"));
                }
            }

            if (CpuSample.Available)
            {
                Console.WriteLine();
                Console.WriteLine("CPU used while measuring (cores busy, out of " + Environment.ProcessorCount + "; the whole machine counts anything else running too):");
                Console.WriteLine();
                Console.WriteLine("| silos | concurrent callers | bench process (silos + callers) | whole machine, AgentGrains | whole machine, pgbench |");
                Console.WriteLine("|---|---|---|---|---|");
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
                    await DropAsync(connectionString, schema);
                }
            }
            finally
            {
                TestPostgresServer.TryDelete(directory);
            }
        }
    }

    private static async Task<(Measurement.Result Calls, double BenchCores, double MachineCores)> MeasureAsync(
        string connectionString, string schema, int silos, int callers, TimeSpan duration)
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilos = silos,
            StorageSettings = new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "PostgreSQL",
                ["ConnectionStrings:AgentGrains"] = connectionString,
                ["Storage:Schema"] = schema,
            },
            ConfigureSilo = static s => s.AddGrain<IBenchGrain, BenchGrain>(),
        });

        // refs[silo][caller]: the caller's grain, reached through that silo. New grains per figure.
        var refs = cluster.Silos
            .Select(s => Enumerable.Range(0, callers).Select(c => s.GrainFactory.GetGrain<IBenchGrain>($"cluster-{silos}-{callers}-{c}")).ToArray())
            .ToArray();
        var process = Process.GetCurrentProcess();
        var processStart = process.TotalProcessorTime;
        var machine = CpuSample.Take();
        var wall = Stopwatch.StartNew();
        var calls = await Measurement.RunAsync(
            $"{silos} silo(s)",
            callers,
            duration,
            // Round-robin over the silos, per call: caller c's call i enters through silo (c + i) mod N.
            (c, i) => refs[(int)(((c + i) % silos + silos) % silos)][c].IncrementAsync());
        var elapsed = wall.Elapsed.TotalSeconds;
        process.Refresh();
        var benchCores = (process.TotalProcessorTime - processStart).TotalSeconds / elapsed;
        return (calls, benchCores, CpuSample.Take().MachineCoresSince(machine));
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

    private static async Task DropAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; DROP SCHEMA IF EXISTS \"{schema}_floor\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
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

    /// <summary>The machine's busy CPU time so far, from <c>/proc/stat</c> (Linux); zero elsewhere.</summary>
    private readonly record struct CpuSample(long BusyTicks, long Timestamp)
    {
        private const string ProcStat = "/proc/stat";

        // USER_HZ: /proc/stat counts in hundredths of a second on Linux.
        private const double TicksPerSecond = 100;

        public static bool Available => File.Exists(ProcStat);

        public static CpuSample Take()
        {
            if (!Available)
            {
                return new CpuSample(0, Stopwatch.GetTimestamp());
            }

            // cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
            var fields = File.ReadLines(ProcStat).First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var busy = fields.Take(8).Sum() - fields[3] - fields[4];
            return new CpuSample(busy, Stopwatch.GetTimestamp());
        }

        public double MachineCoresSince(CpuSample earlier) =>
            (BusyTicks - earlier.BusyTicks) / TicksPerSecond / Stopwatch.GetElapsedTime(earlier.Timestamp, Timestamp).TotalSeconds;
    }
}
