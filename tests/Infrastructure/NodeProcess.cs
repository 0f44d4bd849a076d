using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>A silo or gateway running as its own OS process on a free loopback port, as it runs in production.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly System.Text.StringBuilder output = new();

    private NodeProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

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

    /// <summary>Starts <c>AgentGrains.Silo.dll</c> or <c>AgentGrains.Client.dll</c> with the given settings and waits until it is ready.</summary>
    public static async Task<NodeProcess> StartAsync(string assembly, IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, assembly), $"--urls={address}", $"--Silo:Address={address}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var node = new NodeProcess(Process.Start(start)!, address);
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (node.process.HasExited)
            {
                throw new InvalidOperationException($"{assembly} exited with {node.process.ExitCode} before it was ready:\n{node.Output}");
            }

            try
            {
                using var ready = await http.GetAsync("/readyz", cancellationToken);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return node;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                await node.DisposeAsync();
                throw new TimeoutException($"{assembly} at {address} was not ready within 60 s:\n{node.Output}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
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
