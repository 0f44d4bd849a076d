using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>The Redis server the tests of this run share: <c>AGENTGRAINS_TEST_REDIS</c>, or a throwaway one.</summary>
/// <remarks>
/// <para>With <c>AGENTGRAINS_TEST_REDIS</c> set (a StackExchange.Redis configuration string such as
/// <c>localhost:6379</c>; blank counts as unset) the tests use that server. Otherwise the first test
/// that needs Redis starts <c>redis-server</c> on a free loopback port with nothing written to disk,
/// killed when the test process exits.</para>
/// <para><see cref="StartThrowawayAsync"/> starts a server of the caller's own instead, which it may
/// halt and resume (a restart with its data kept) and disposes of itself.</para>
/// <para>Tests keep apart by key (each cluster has its own service and cluster ids), so they share it.
/// When neither works, every Redis test fails with the reason: a broken set-up never passes as skipped tests.</para>
/// </remarks>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Variable = "AGENTGRAINS_TEST_REDIS";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly Lazy<Task<RedisServer>> Shared = new(StartAsync);

    // A throwaway server's: what LaunchAsync starts again; null for a configured one.
    private string? executable;
    private int port;
    private string? folder;
    private bool persistent;
    private Process? process;

    private RedisServer(string connectionString) => ConnectionString = connectionString;

    /// <summary>A StackExchange.Redis configuration string for the server.</summary>
    public string ConnectionString { get; }

    /// <summary>The server, started on first use.</summary>
    public static Task<RedisServer> GetAsync() => Shared.Value;

    private static async Task<RedisServer> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await CheckReachableAsync(configured, $"{Variable} is set, but its server cannot be reached");
            return new RedisServer(configured);
        }

        var server = await StartThrowawayAsync(persistent: false);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Kill(deleteFolder: true);
        return server;
    }

    /// <summary>Starts a throwaway <c>redis-server</c> of the caller's own on a free loopback port; disposing kills it and deletes its folder.</summary>
    /// <param name="persistent">Whether it keeps its data in its folder (append-only file, each write flushed), so that <see cref="HaltAsync"/> and <see cref="ResumeAsync"/> restart it with its data as a production server restarts; else nothing is written to disk.</param>
    /// <exception cref="InvalidOperationException">redis-server is not installed, or did not become ready (the message has its output).</exception>
    public static async Task<RedisServer> StartThrowawayAsync(bool persistent)
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(
            $"Redis tests need a server: set {Variable} to a StackExchange.Redis configuration string (such as localhost:6379), " +
            "or install Redis (apt-get install -y redis-server; test.sh does it) so the tests can start a throwaway redis-server.");

        var port = FreePort();
        // Its own empty folder, so nothing lands in the test's working directory even if a save is forced.
        var folder = Directory.CreateTempSubdirectory("agentgrains-redis-").FullName;
        var server = new RedisServer($"127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}")
        {
            executable = executable,
            port = port,
            folder = folder,
            persistent = persistent,
        };
        try
        {
            await server.LaunchAsync();
        }
        catch
        {
            server.Kill(deleteFolder: true);
            throw;
        }

        return server;
    }

    /// <summary>Kills the throwaway server (SIGKILL: no shutdown code runs), keeping its folder for <see cref="ResumeAsync"/>.</summary>
    public Task HaltAsync()
    {
        var running = process ?? throw new InvalidOperationException("Only a throwaway server started by StartThrowawayAsync can be halted.");
        Kill(deleteFolder: false);
        return running.WaitForExitAsync();
    }

    /// <summary>Starts the throwaway server again after <see cref="HaltAsync"/>, on the same port and folder (with <c>persistent</c>, it reloads its data), and waits until it answers.</summary>
    public Task ResumeAsync() =>
        executable is null ? throw new InvalidOperationException("Only a throwaway server started by StartThrowawayAsync can be resumed.") : LaunchAsync();

    /// <summary>Kills a throwaway server and deletes its folder; nothing for a configured one.</summary>
    public ValueTask DisposeAsync()
    {
        if (executable is not null)
        {
            Kill(deleteFolder: true);
        }

        return ValueTask.CompletedTask;
    }

    private async Task LaunchAsync()
    {
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo(executable!)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        string[] durability = persistent ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", folder!] : ["--appendonly", "no"];
        foreach (var argument in (string[])["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", .. durability, "--daemonize", "no"])
        {
            start.ArgumentList.Add(argument);
        }

        var launched = new Process { StartInfo = start, EnableRaisingEvents = true };
        void Collect(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        launched.OutputDataReceived += Collect;
        launched.ErrorDataReceived += Collect;
        launched.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server exited (code {launched.ExitCode}) before it was ready"));
        if (!launched.Start())
        {
            throw new InvalidOperationException($"Could not start {executable}.");
        }

        process = launched;
        launched.BeginOutputReadLine();
        launched.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            Kill(deleteFolder: false);
            string log;
            lock (output)
            {
                log = output.ToString();
            }

            throw new InvalidOperationException($"The throwaway redis-server on port {port} did not become ready within {StartTimeout.TotalSeconds:0} s ({ex.Message}). Its output:\n{log}", ex);
        }

        await CheckReachableAsync(ConnectionString, "the throwaway redis-server started but does not answer");
    }

    private static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "redis-server"))
            .FirstOrDefault(File.Exists);

    private static async Task CheckReachableAsync(string connectionString, string failure)
    {
        try
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = true;
            options.ConnectTimeout = 5_000;
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            await connection.GetDatabase().PingAsync();
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException or TimeoutException)
        {
            throw new InvalidOperationException($"{failure}: {ex.Message}", ex);
        }
    }

    private void Kill(bool deleteFolder)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill();
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        if (deleteFolder && folder is not null)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the OS cleans its temporary folder.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
