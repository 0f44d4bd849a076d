using System.Globalization;
using Npgsql;

namespace AgentGrains.Bench;

/// <summary>Reads the command line, runs the chosen mode, and returns the process's exit code.</summary>
/// <remarks>0: done (or help); 2: the arguments are wrong (the message says which and how to fix it, then the usage); 1: the bench failed.</remarks>
internal static class BenchCommand
{
    public const string Usage = """
        AgentGrains benchmarks: Orleans silos in this process, each figure next to a bare commit of the same database in the same run.

        Usage: dotnet run -c Release --project bench -- [mode] [arguments]

          (no mode) [seconds per figure, default 5] [flush: true|false, default true] [PostgreSQL connection string]
              One durable agent message (submit, one step, the reply) and a read-only session call, 1 and 64 callers,
              next to a bare one-row commit. SQLite (WAL; flush=true is synchronous=FULL) unless a connection string is given.
          steps [seconds per figure, default 10]
              One durable agent step (scripted model, no-op tool), 1 and 64 concurrent runs, on SQLite and on a throwaway
              PostgreSQL, each next to the bare commit; then where a step's time goes.
          delegate [seconds per figure, default 10]
              The same, with step 1 calling a specialist written as code (a durable run of its own per call).
          long [turns, default 1000]
              One long conversation per agent on SQLite, one message at a time: the time of a turn at turn 10, 100 and 1,000,
              with a 20-message window alone and with the running summary (SummarizeAfter 20).
          recall [seconds per figure, default 5] [users, default 50] [facts per user, default 1000]
              Long-term memory's recall (the full-text search a run of an agent with memory makes before its first step),
              1 and 64 callers, on SQLite and on a throwaway PostgreSQL, each next to a primary-key read of the same table.
          memory [sessions, default 5000]
              Managed memory per idle agent-session activation, after one completed run each.
          cluster [seconds per figure, default 10] [PostgreSQL connection string, default a throwaway server]
              1, 2 and 3 silos in this process over one PostgreSQL (ADO.NET membership), calls spread over the silos,
              each figure next to pgbench on the same server; the three clusters take turns for 3 rounds (medians).
          peers "<PostgreSQL connection string>" <runs> <steps per run> <concurrency>
              <runs> runs of <steps per run> no-op tool steps each (then the answer), <concurrency> at a time, on one silo
              over that database; prints one JSON line: {"peer":"agentgrains","concurrency":C,"steps_per_s":X,"step_ms_p50":Y,"step_ms_p99":Z}
          dashboard [seconds per figure, default 5]
              What the Orleans Dashboard costs a silo: read-only session calls (8 callers) and durable agent messages
              (64 callers) on SQLite with the dashboard off, on with nobody watching, and on while watched (every grain
              call timed); the three take turns for 3 rounds (medians), with the process's CPU per call.
          chaos [minutes of silo kills, default 2] [seed]
              3 silo processes (the silo executable, PostgreSQL storage, Redis membership, throwaway servers) under a steady
              load of agent runs (the notify webhook tool and a specialist) sent through their gateways with idempotency keys,
              clients retrying 503/504/connection errors with the same key; one silo killed with kill -9 every 10 s (each
              restarted), then PostgreSQL and Redis restarted. Prints acknowledged, lost, processed twice, tool effects per
              key, stuck runs and client-visible errors. Needs redis-server besides PostgreSQL's binaries.
          -h, --help
              This text.

        PostgreSQL modes need PostgreSQL's binaries for a throwaway server (initdb, pg_ctl; /usr/lib/postgresql/*/bin or PATH),
        and pgbench for cluster.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var mode = args.Length == 0 ? null : args[0];
        try
        {
            switch (mode)
            {
                case "-h" or "--help" or "help":
                    Console.WriteLine(Usage);
                    return 0;
                case "steps" or "delegate":
                    MaxArguments(args, 2);
                    await StepsBench.RunAsync(PositiveInt(args, 1, "seconds per figure", 10), delegated: mode == "delegate");
                    return 0;
                case "long":
                    MaxArguments(args, 2);
                    await LongSessionBench.RunAsync(PositiveInt(args, 1, "the number of turns", 1000));
                    return 0;
                case "recall":
                    MaxArguments(args, 4);
                    await RecallBench.RunAsync(PositiveInt(args, 1, "seconds per figure", 5), PositiveInt(args, 2, "users", 50), PositiveInt(args, 3, "facts per user", 1000));
                    return 0;
                case "memory":
                    MaxArguments(args, 2);
                    await MemoryBench.RunAsync(PositiveInt(args, 1, "the number of sessions", 5000));
                    return 0;
                case "cluster":
                    MaxArguments(args, 3);
                    await ClusterBench.RunAsync(PositiveInt(args, 1, "seconds per figure", 10), args.Length > 2 ? ConnectionString(args[2]) : null);
                    return 0;
                case "dashboard":
                    MaxArguments(args, 2);
                    await DashboardBench.RunAsync(PositiveSeconds(args, 1, 5));
                    return 0;
                case "chaos":
                    MaxArguments(args, 3);
                    await ChaosBench.RunAsync(
                        PositiveNumber(args, 1, "minutes of silo kills", 2),
                        args.Length > 2 ? PositiveInt(args, 2, "the seed", null) : null);
                    return 0;
                case "peers":
                    if (args.Length != 5)
                    {
                        throw new UsageException($"peers takes 4 arguments (a connection string, runs, steps per run, concurrency); {args.Length - 1} were given.");
                    }

                    var runs = PositiveInt(args, 2, "runs", null);
                    var concurrency = PositiveInt(args, 4, "concurrency", null);
                    if (concurrency > runs)
                    {
                        throw new UsageException($"concurrency ({concurrency}) is more than runs ({runs}); use at most as many concurrent runs as runs.");
                    }

                    await PeersBench.RunAsync(ConnectionString(args[1]), runs, PositiveInt(args, 3, "steps per run", null), concurrency);
                    return 0;
                case null:
                case var first when double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out _):
                    MaxArguments(args, 3);
                    await DefaultBench.RunAsync(
                        PositiveSeconds(args, 0, 5),
                        args.Length <= 1 || (bool.TryParse(args[1], out var flush) ? flush : throw new UsageException($"flush must be true or false, not '{args[1]}'.")),
                        args.Length > 2 ? ConnectionString(args[2]) : null);
                    return 0;
                default:
                    throw new UsageException($"Unknown mode '{mode}'.");
            }
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine();
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A failed bench (a server that cannot be reached, a run that did not complete) is reported
            // in full on standard error, so standard output never holds a partial figure as if it were one.
            Console.Error.WriteLine($"The bench failed: {ex}");
            return 1;
        }
    }

    private static void MaxArguments(string[] args, int max)
    {
        if (args.Length > max)
        {
            throw new UsageException($"Too many arguments for {(args[0] is var mode && !double.TryParse(mode, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? mode : "the default mode")}: '{string.Join("' '", args.Skip(max))}' is not expected.");
        }
    }

    private static int PositiveInt(string[] args, int index, string what, int? fallback)
    {
        if (args.Length <= index)
        {
            return fallback ?? throw new UsageException($"{what} is missing.");
        }

        return int.TryParse(args[index], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new UsageException($"{what} must be a whole number of 1 or more, not '{args[index]}'.");
    }

    private static double PositiveSeconds(string[] args, int index, double fallback) => PositiveNumber(args, index, "seconds per figure", fallback);

    private static double PositiveNumber(string[] args, int index, string what, double fallback) =>
        args.Length <= index
            ? fallback
            : double.TryParse(args[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)
                ? value
                : throw new UsageException($"{what} must be a positive number, not '{args[index]}'.");

    private static string ConnectionString(string value)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(value);
            return string.IsNullOrWhiteSpace(builder.Host)
                ? throw new UsageException("The PostgreSQL connection string names no server; add Host=... (e.g. \"Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres\").")
                : value;
        }
        catch (ArgumentException ex)
        {
            // Npgsql's message names the keyword it does not know; the connection string itself may hold a password.
            throw new UsageException($"The PostgreSQL connection string cannot be read: {ex.Message}");
        }
    }

    private sealed class UsageException(string message) : Exception(message);
}
