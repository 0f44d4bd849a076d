using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>A private, throwaway PostgreSQL server for tests and benchmarks: initdb into a temporary folder, pg_ctl on a free loopback port.</summary>
/// <remarks>
/// Trust authentication, its own socket folder, <c>fsync=on</c> and <c>synchronous_commit=on</c>
/// (the defaults: every commit waits for its WAL flush, as in production). initdb refuses root, so
/// when the process runs as root the server runs as the <c>postgres</c> user. <see cref="Stop"/>
/// (and <see cref="DisposeAsync"/>) stops the server and deletes the folder; <see cref="Halt"/> and
/// <see cref="ResumeAsync"/> stop it and start it again on the same port and data folder, as a
/// restart of a production server.
/// </remarks>
public sealed class TestPostgresServer : IAsyncDisposable
{
    private readonly string root;
    private readonly string data;
    private readonly string? runAs;
    private readonly string options;
    private readonly Lock gate = new();
    private bool stopped;

    private TestPostgresServer(string bin, string root, string? runAs, string options, string connectionString)
    {
        Bin = bin;
        this.root = root;
        data = Path.Combine(root, "data");
        this.runAs = runAs;
        this.options = options;
        ConnectionString = connectionString;
    }

    /// <summary>The folder of the server's binaries (pgbench included).</summary>
    public string Bin { get; }

    /// <summary>The maintenance database, as the <c>postgres</c> superuser.</summary>
    public string ConnectionString { get; }

    /// <summary>Starts a new server and waits until it accepts connections.</summary>
    /// <exception cref="InvalidOperationException">PostgreSQL's binaries are missing, or a set-up step failed (the message names it).</exception>
    public static async Task<TestPostgresServer> StartAsync()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "A throwaway PostgreSQL server needs PostgreSQL's binaries (initdb, pg_ctl): install PostgreSQL (Debian: apt-get install -y postgresql).");
        var root = Path.Combine(Path.GetTempPath(), $"agentgrains-pg-{Guid.NewGuid():N}");
        var data = Path.Combine(root, "data");
        var sockets = Path.Combine(root, "sockets");
        Directory.CreateDirectory(sockets);
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var started = false;
        try
        {
            if (runAs is not null)
            {
                await RunAsync("chown", ["-R", $"{runAs}:", root], null, "give the temporary folder to the postgres user");
            }

            await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"], runAs, "initdb");
            var port = FreePort();
            var options = $"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=300";
            await StartServerAsync(bin, root, runAs, options);
            started = true;
            var connectionString = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = port,
                Username = "postgres",
                Database = "postgres",
            }.ConnectionString;
            return new TestPostgresServer(bin, root, runAs, options, connectionString);
        }
        catch
        {
            if (started)
            {
                StopServer(bin, data, runAs);
            }

            TryDelete(root);
            throw;
        }
    }

    /// <summary>The folder of initdb, pg_ctl and pgbench: Debian's versioned folders (newest first), else the PATH.</summary>
    public static string? FindBinaries()
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

    /// <inheritdoc cref="Stop"/>
    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops the server at once (its data is thrown away) and deletes its folder.</summary>
    /// <remarks>Only the first call does it; a concurrent call (a signal handler and a finally) waits until it is done.</remarks>
    public void Stop()
    {
        lock (gate)
        {
            if (stopped)
            {
                return;
            }

            StopServer(Bin, data, runAs);
            TryDelete(root);
            stopped = true;
        }
    }

    /// <summary>Stops the server at once (<c>pg_ctl stop -m immediate</c>: connections are cut, nothing is flushed beyond what commits flushed), keeping its data for <see cref="ResumeAsync"/>.</summary>
    public void Halt()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(stopped, this);
            StopServer(Bin, data, runAs);
        }
    }

    /// <summary>Starts the server again after <see cref="Halt"/>, on the same port and data folder (crash recovery replays its WAL), and waits until it accepts connections.</summary>
    /// <exception cref="InvalidOperationException">pg_ctl failed (the message says why).</exception>
    public Task ResumeAsync()
    {
        ObjectDisposedException.ThrowIf(stopped, this);
        return StartServerAsync(Bin, root, runAs, options);
    }

    private static Task StartServerAsync(string bin, string root, string? runAs, string options) =>
        RunAsync(Path.Combine(bin, "pg_ctl"), ["start", "-D", Path.Combine(root, "data"), "-w", "-t", "60", "-l", Path.Combine(root, "server.log"), "-o", options], runAs, "pg_ctl start");

    private static void StopServer(string bin, string data, string? runAs)
    {
        try
        {
            var start = Start(Path.Combine(bin, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"], runAs);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            using var process = Process.Start(start);
            if (process is not null && !process.WaitForExit(TimeSpan.FromSeconds(40)))
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Nothing to stop it with; the folder is removed all the same.
        }
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, string? runAs, string step)
    {
        var start = Start(program, arguments, runAs);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not run {program} ({step}).");
        // The server started by pg_ctl inherits the pipes and keeps them open: wait for the tool, not for the end of its output.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"PostgreSQL set-up failed at {step} (exit code {process.ExitCode}): {await error}{await output}");
        }
    }

    private static ProcessStartInfo Start(string program, IReadOnlyList<string> arguments, string? runAs)
    {
        var start = new ProcessStartInfo(runAs is null ? program : "runuser") { UseShellExecute = false };
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

        return start;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Deletes a folder, best effort (a file still open is left to the OS's temporary-folder cleanup).</summary>
    public static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Deleted already.
        }
        catch (IOException)
        {
            // Best effort: the OS cleans its temporary folder.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
