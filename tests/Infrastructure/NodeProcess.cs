using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>A silo or standalone gateway running as its own OS process on free loopback ports, as it runs in production.</summary>
/// <remarks>
/// A silo gets its own <c>Orleans:SiloPort</c> and <c>Orleans:GatewayPort</c> besides its HTTP port,
/// so several run side by side; the membership, the cluster and service ids and the storage come
/// from the settings every process of a cluster is given alike.
/// </remarks>
public sealed class NodeProcess : IAsyncDisposable
{
    /// <summary>The silo executable: an Orleans silo with the gateway HTTP API.</summary>
    public const string SiloAssembly = "AgentGrains.Silo.dll";

    /// <summary>The standalone gateway: the HTTP API as an Orleans client.</summary>
    public const string GatewayAssembly = "AgentGrains.Client.dll";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process process;
    private readonly System.Text.StringBuilder output = new();

    private NodeProcess(Process process, string name, Uri address, int? siloPort)
    {
        this.process = process;
        Name = name;
        Address = address;
        SiloPort = siloPort;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Sees every line every process writes (where, line); null for none.</summary>
    public static Action<string, string>? OutputWatcher { get; set; }

    /// <summary>A name for messages, such as <c>silo 2</c>.</summary>
    public string Name { get; }

    /// <summary>Its HTTP address.</summary>
    public Uri Address { get; }

    /// <summary>Its Orleans silo-to-silo port; null for a standalone gateway.</summary>
    public int? SiloPort { get; }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts a silo process with the given settings and waits until its silo is an active member of the cluster.</summary>
    public static Task<NodeProcess> StartSiloAsync(string name, IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken) =>
        StartSiloAsync(name, settings, AppContext.BaseDirectory, cancellationToken);

    /// <summary>Starts a silo process of the <see cref="SiloAssembly"/> in <paramref name="directory"/> (the tests reference the silo, which puts it in their own folder) and waits until its silo is an active member of the cluster.</summary>
    public static Task<NodeProcess> StartSiloAsync(string name, IReadOnlyDictionary<string, string?> settings, string directory, CancellationToken cancellationToken)
    {
        var siloPort = FreePort();
        var ports = new Dictionary<string, string?>(settings)
        {
            ["Orleans:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
        };
        return StartAsync(SiloAssembly, name, ports, siloPort, directory, cancellationToken);
    }

    /// <summary>Starts a standalone gateway process with the given settings and waits until it sees an active silo.</summary>
    public static Task<NodeProcess> StartGatewayAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken) =>
        StartAsync(GatewayAssembly, "gateway", settings, siloPort: null, AppContext.BaseDirectory, cancellationToken);

    /// <summary>Whether an Orleans silo address (<c>127.0.0.1:port@generation</c>, or the runtime identity <c>S127.0.0.1:port:generation</c>) is this process's silo.</summary>
    public bool IsSilo(string? siloAddress) =>
        SiloPort is { } port && siloAddress is not null
        && (siloAddress.Contains($":{port.ToString(CultureInfo.InvariantCulture)}@", StringComparison.Ordinal)
            || siloAddress.Contains($":{port.ToString(CultureInfo.InvariantCulture)}:", StringComparison.Ordinal));

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    /// <summary>kill -STOP: the process stops where it is, holding its sockets, until <see cref="ContinueAsync"/>.</summary>
    public Task FreezeAsync() => SignalAsync("STOP");

    /// <summary>kill -CONT: a frozen process carries on from where it stopped.</summary>
    public Task ContinueAsync() => SignalAsync("CONT");

    /// <summary>Waits until the process has ended.</summary>
    /// <returns>Whether it ended within <paramref name="timeout"/>.</returns>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(bound.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // A frozen process dies of SIGKILL too.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static async Task<NodeProcess> StartAsync(string assembly, string name, IReadOnlyDictionary<string, string?> settings, int? siloPort, string directory, CancellationToken cancellationToken)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(directory, assembly), $"--urls={address}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var node = new NodeProcess(Process.Start(start)!, name, address, siloPort);
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        var last = "no answer";
        while (true)
        {
            if (node.process.HasExited)
            {
                throw new InvalidOperationException($"{name} ({assembly}) exited with {node.process.ExitCode} before it was ready:\n{node.Output}");
            }

            try
            {
                using var ready = await http.GetAsync("/readyz", cancellationToken);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return node;
                }

                last = $"/readyz {(int)ready.StatusCode}: {await ready.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "/readyz did not answer within 5 s";
            }

            if (DateTime.UtcNow > deadline)
            {
                await node.DisposeAsync();
                throw new TimeoutException($"{name} ({assembly}) at {address} was not ready within {StartTimeout.TotalSeconds:0} s (last: {last}):\n{node.Output}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task SignalAsync(string signal)
    {
        var start = new ProcessStartInfo("kill")
        {
            ArgumentList = { $"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardError = true,
        };
        using var kill = Process.Start(start) ?? throw new InvalidOperationException($"kill -{signal} could not be started.");
        var error = await kill.StandardError.ReadToEndAsync();
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} ({Name}) failed with {kill.ExitCode}: {error}");
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            // What a silo or gateway process logs is watched for the run's secrets too (the test run's SecretWatch).
            OutputWatcher?.Invoke($"output of {Name}", line);
            lock (output)
            {
                output.AppendLine(line);
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
