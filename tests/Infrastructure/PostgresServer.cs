using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>The PostgreSQL server the tests of this run share: <c>AGENTGRAINS_TEST_POSTGRES</c>, or a throwaway one.</summary>
/// <remarks>
/// <para>With <c>AGENTGRAINS_TEST_POSTGRES</c> set (a connection string; blank counts as unset) the
/// tests use that server. Otherwise the first test that needs PostgreSQL starts a private server:
/// a temporary data directory (initdb, run as the <c>postgres</c> user when the tests run as root,
/// because initdb refuses root), trust authentication, a free loopback port and its own socket
/// directory. It is stopped and deleted when the test process exits.</para>
/// <para>When neither works, every PostgreSQL test fails with the reason: a broken set-up never
/// passes as skipped tests.</para>
/// </remarks>
public sealed class PostgresServer
{
    private const string Variable = "AGENTGRAINS_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);

    private PostgresServer(string connectionString) => ConnectionString = connectionString;

    /// <summary>A connection string to the server's maintenance database, as a superuser.</summary>
    public string ConnectionString { get; }

    /// <summary>The server, started on first use.</summary>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    private static async Task<PostgresServer> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await CheckReachableAsync(configured, $"{Variable} is set, but its server cannot be reached");
            return new PostgresServer(configured);
        }

        var bin = FindBinaries() ?? throw new InvalidOperationException(
            $"PostgreSQL tests need a server: set {Variable} to a connection string, or install PostgreSQL " +
            "(apt-get install -y postgresql; test.sh does it) so the tests can start a throwaway one with initdb and pg_ctl.");
        var root = Path.Combine(Path.GetTempPath(), $"agentgrains-pg-{Guid.NewGuid():N}");
        var data = Path.Combine(root, "data");
        var sockets = Path.Combine(root, "sockets");
        Directory.CreateDirectory(sockets);
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        try
        {
            if (runAs is not null)
            {
                await RunAsync("chown", ["-R", $"{runAs}:", root], null, "give the temporary directory to the postgres user");
            }

            await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"], runAs, "initdb");
            var port = FreePort();
            // fsync stays on: the tests exercise the same commit path as production.
            var serverOptions = $"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=300";
            await RunAsync(Path.Combine(bin, "pg_ctl"), ["start", "-D", data, "-w", "-t", "60", "-l", Path.Combine(root, "server.log"), "-o", serverOptions], runAs, "pg_ctl start");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(bin, data, root, runAs);
            var connectionString = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = port,
                Username = "postgres",
                Database = "postgres",
            }.ConnectionString;
            await CheckReachableAsync(connectionString, "the throwaway PostgreSQL server started but does not answer");
            return new PostgresServer(connectionString);
        }
        catch
        {
            TryDelete(root);
            throw;
        }
    }

    /// <summary>The folder of initdb and pg_ctl: Debian's versioned folder (newest first), else the PATH.</summary>
    private static string? FindBinaries()
    {
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var versioned = Directory.GetDirectories(debian)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault();
            if (versioned is not null)
            {
                return versioned;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task CheckReachableAsync(string connectionString, string failure)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or TimeoutException)
        {
            throw new InvalidOperationException($"{failure}: {ex.Message}", ex);
        }
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, string? runAs, string step)
    {
        var start = new ProcessStartInfo(runAs is null ? program : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (runAs is not null)
        {
            foreach (var argument in (string[])["-u", runAs, "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"PostgreSQL set-up could not run {program} ({step}).");
        // pg_ctl's server keeps inherited pipes open; read to the end only what the tool itself wrote.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"PostgreSQL set-up failed at {step} (exit code {process.ExitCode}): {await error}{await output}");
        }
    }

    private static void Stop(string bin, string data, string root, string? runAs)
    {
        try
        {
            var start = new ProcessStartInfo(runAs is null ? Path.Combine(bin, "pg_ctl") : "runuser") { UseShellExecute = false };
            if (runAs is not null)
            {
                foreach (var argument in (string[])["-u", runAs, "--", Path.Combine(bin, "pg_ctl")])
                {
                    start.ArgumentList.Add(argument);
                }
            }

            foreach (var argument in (string[])["stop", "-D", data, "-m", "immediate", "-w", "-t", "20"])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start);
            process?.WaitForExit(TimeSpan.FromSeconds(30));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Nothing to stop with; the directory is removed below all the same.
        }

        TryDelete(root);
    }

    private static void TryDelete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort at exit: the OS cleans its temporary folder.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
