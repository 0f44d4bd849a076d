using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace AgentGrains.Bench;

/// <summary>The floor PostgreSQL itself sets: pgbench running a one-row insert per transaction against the same server.</summary>
/// <remarks>
/// pgbench is PostgreSQL's own C client: one connection per client, prepared statements, nothing
/// between the socket and the insert. What it reaches is what the server allows on this machine
/// with that many clients, and so the floor a durable call is measured against.
/// </remarks>
internal sealed partial class PgBench
{
    private readonly string executable;
    private readonly string connectionString;
    private readonly string script;

    private PgBench(string executable, string connectionString, string script)
    {
        this.executable = executable;
        this.connectionString = connectionString;
        this.script = script;
    }

    /// <summary>Creates the table in <paramref name="schema"/> and writes the one-statement script into <paramref name="directory"/>.</summary>
    public static async Task<PgBench> CreateAsync(string bin, string connectionString, string schema, string directory)
    {
        var executable = Path.Combine(bin, "pgbench");
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"pgbench is not in {bin}; install PostgreSQL's client tools.");
        }

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand(
                $"CREATE SCHEMA IF NOT EXISTS \"{schema}\"; CREATE TABLE IF NOT EXISTS \"{schema}\".floor (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text NOT NULL)",
                connection);
            await create.ExecuteNonQueryAsync();
        }

        // The same row the bare .NET floor inserts: one autocommit transaction per statement.
        var script = Path.Combine(directory, "one-row-insert.sql");
        await File.WriteAllTextAsync(script, $"INSERT INTO \"{schema}\".floor (payload) VALUES ('{{\"count\":1}}');\n");
        return new PgBench(executable, connectionString, script);
    }

    /// <summary>Runs <c>pgbench -n -M prepared -f script -c clients -j min(clients, 2) -T seconds</c>.</summary>
    public async Task<Result> RunAsync(int clients, int seconds)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            "-h", target.Host ?? "localhost", "-p", target.Port.ToString(CultureInfo.InvariantCulture), "-U", target.Username ?? "postgres",
            "-n", "-M", "prepared", "-f", script,
            "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, 2).ToString(CultureInfo.InvariantCulture),
            "-T", seconds.ToString(CultureInfo.InvariantCulture),
            target.Database ?? target.Username ?? "postgres",
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (!string.IsNullOrEmpty(target.Password))
        {
            start.Environment["PGPASSWORD"] = target.Password;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not run {executable}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbench failed (exit code {process.ExitCode}): {await error}{text}");
        }

        return new Result(clients, Parse(TpsPattern(), text, "tps"), Parse(LatencyPattern(), text, "latency average"));
    }

    private static double Parse(Regex pattern, string output, string what)
    {
        var match = pattern.Match(output);
        return match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"pgbench printed no {what}: {output}");
    }

    [GeneratedRegex(@"^tps = ([0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex TpsPattern();

    [GeneratedRegex(@"^latency average = ([0-9.]+) ms", RegexOptions.Multiline)]
    private static partial Regex LatencyPattern();

    public sealed record Result(int Clients, double Tps, double LatencyAverageMs);
}
