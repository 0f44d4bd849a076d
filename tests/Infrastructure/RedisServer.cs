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
/// <para>Tests keep apart by key (each cluster has its own service and cluster ids), so they share it.
/// When neither works, every Redis test fails with the reason: a broken set-up never passes as skipped tests.</para>
/// </remarks>
public sealed class RedisServer
{
    private const string Variable = "AGENTGRAINS_TEST_REDIS";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly Lazy<Task<RedisServer>> Shared = new(StartAsync);

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

        var executable = FindExecutable() ?? throw new InvalidOperationException(
            $"Redis tests need a server: set {Variable} to a StackExchange.Redis configuration string (such as localhost:6379), " +
            "or install Redis (apt-get install -y redis-server; test.sh does it) so the tests can start a throwaway redis-server.");

        var port = FreePort();
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Its own empty folder, so nothing lands in the test's working directory even if a save is forced.
            WorkingDirectory = Directory.CreateTempSubdirectory("agentgrains-redis-").FullName,
        };
        foreach (var argument in (string[])["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"])
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
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

        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server exited (code {process.ExitCode}) before it was ready"));
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {executable}.");
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process, start.WorkingDirectory);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            Stop(process, start.WorkingDirectory);
            string log;
            lock (output)
            {
                log = output.ToString();
            }

            throw new InvalidOperationException($"The throwaway redis-server on port {port} did not become ready within {StartTimeout.TotalSeconds:0} s ({ex.Message}). Its output:\n{log}", ex);
        }

        var connectionString = $"127.0.0.1:{port}";
        await CheckReachableAsync(connectionString, "the throwaway redis-server started but does not answer");
        return new RedisServer(connectionString);
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

    private static void Stop(Process process, string folder)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans its temporary folder.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
