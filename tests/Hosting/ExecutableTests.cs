using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Hosting;

/// <summary>The silo and gateway executables as a user starts them: usage for --help, refused settings in one line, a gateway waiting for its cluster.</summary>
[Trait("Category", "Integration")]
public sealed class ExecutableTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(NodeProcess.SiloAssembly, "--help", "AgentGrains silo")]
    [InlineData(NodeProcess.SiloAssembly, "-h", "AgentGrains silo")]
    [InlineData(NodeProcess.GatewayAssembly, "--help", "AgentGrains gateway")]
    public async Task Help_PrintsUsageAndExitsZero(string assembly, string option, string title)
    {
        var (exitCode, output, errors) = await RunToEndAsync(assembly, option);

        Assert.Equal(0, exitCode);
        Assert.StartsWith(title, output, StringComparison.Ordinal);
        Assert.Contains("Usage: dotnet run --project", output, StringComparison.Ordinal);
        Assert.Contains("--Cluster:Provider", output, StringComparison.Ordinal);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Help_Silo_ListsTheMcpServerSettings()
    {
        var (exitCode, output, _) = await RunToEndAsync(NodeProcess.SiloAssembly, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("--Mcp:Servers:<server>:Command=<program>", output, StringComparison.Ordinal);
        Assert.Contains("--Mcp:Servers:<server>:Url=<url>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NodeProcess.SiloAssembly, "agentgrains-silo", "--Storage:Provider=PostgreSQL", "ConnectionStrings:AgentGrains is empty")]
    [InlineData(NodeProcess.SiloAssembly, "agentgrains-silo", "--Storage:Provider=Postgress", "'Storage:Provider'")]
    [InlineData(NodeProcess.SiloAssembly, "agentgrains-silo", "--Cluster:Provider=Redis", "ConnectionStrings:Redis is empty")]
    [InlineData(NodeProcess.SiloAssembly, "agentgrains-silo", "--Gateway:MaxRequestBodyBytes=0", "Gateway:MaxRequestBodyBytes")]
    [InlineData(NodeProcess.SiloAssembly, "agentgrains-silo", "--Dashboard:Enabled=maybe", "Dashboard:Enabled is 'maybe'")]
    [InlineData(NodeProcess.SiloAssembly, "agentgrains-silo", "--Tenants:acme:RateLimit:PermitsPerSecond=0", "Tenants:acme:RateLimit:PermitsPerSecond is 0")]
    [InlineData(NodeProcess.GatewayAssembly, "agentgrains-gateway", "--Gateway:RateLimit:Burst=0", "Gateway:RateLimit:Burst is 0")]
    [InlineData(NodeProcess.SiloAssembly, "agentgrains-silo", "--OTEL_TRACES_EXPORTER=zipkin", "OTEL_TRACES_EXPORTER is 'zipkin'")]
    [InlineData(NodeProcess.GatewayAssembly, "agentgrains-gateway", "--Cluster:Provider=Redis", "ConnectionStrings:Redis is empty")]
    [InlineData(NodeProcess.GatewayAssembly, "agentgrains-gateway", "--Dashboard:Enabled=yes", "Dashboard:Enabled is 'yes'")]
    [InlineData(NodeProcess.GatewayAssembly, "agentgrains-gateway", "--Gateway:MaxReplyWait=-00:00:01", "Gateway:MaxReplyWait")]
    public async Task Start_RefusedSetting_SaysWhatToFixInOneLineAndExitsTwo(string assembly, string name, string setting, string reason)
    {
        using var data = new TempDirectory();
        var (exitCode, output, errors) = await RunToEndAsync(assembly, setting, "--urls=http://127.0.0.1:0", $"--Storage:Path={data.File("agentgrains.db")}");

        Assert.Equal(2, exitCode);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith(name + ": ", line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NodeProcess.SiloAssembly, "agentgrains-silo")]
    [InlineData(NodeProcess.GatewayAssembly, "agentgrains-gateway")]
    public async Task Start_BeyondLoopbackWithoutApiKeys_IsRefusedNamingTheKeysAndTheOptOut(string assembly, string name)
    {
        using var data = new TempDirectory();
        var (exitCode, _, errors) = await RunToEndAsync(assembly, "--urls=http://0.0.0.0:0", $"--Storage:Path={data.File("agentgrains.db")}");

        Assert.Equal(2, exitCode);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith(name + ": ", line, StringComparison.Ordinal);
        Assert.Contains("http://0.0.0.0:0", line, StringComparison.Ordinal);
        Assert.Contains("Gateway:ApiKeys", line, StringComparison.Ordinal);
        Assert.Contains("Gateway:AllowAnonymous=true", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Gateway:ApiKeys:ops:Hash=not-a-hash", "Gateway:ApiKeys:ops:Hash is not a SHA-256")]
    [InlineData("--Gateway:ApiKeys:ops:Tenant=acme", "Gateway:ApiKeys:ops:Hash is not a SHA-256")]
    public async Task Start_BadApiKey_IsRefusedNamingTheSetting(string setting, string reason)
    {
        using var data = new TempDirectory();
        var (exitCode, _, errors) = await RunToEndAsync(NodeProcess.SiloAssembly, setting, "--urls=http://127.0.0.1:0", $"--Storage:Path={data.File("agentgrains.db")}");

        Assert.Equal(2, exitCode);
        Assert.Contains(reason, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-hash", errors.Replace("is not a SHA-256", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_NoSiloYet_WaitsSayingWhatItWaitsFor()
    {
        var start = Start(NodeProcess.GatewayAssembly, "--urls=http://127.0.0.1:0", $"--Orleans:GatewayPort={FreePort()}");
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            string Printed()
            {
                lock (output)
                {
                    return output.ToString();
                }
            }

            // It keeps trying (three attempts at least), saying what it waits for, instead of ending at the first.
            await Eventually.TrueAsync(
                () => Task.FromResult(Printed().Split("No silo of cluster 'agentgrains' answered; trying again").Length > 3 || process.HasExited),
                TimeSpan.FromSeconds(60),
                "the gateway has said three times that it waits for a silo");
            Assert.False(process.HasExited, Printed());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
    }

    private static ProcessStartInfo Start(string assembly, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Settings come only from the command line and appsettings.json, whatever the shell has.
        foreach (var key in start.Environment.Keys.Where(static k => k.Contains("__", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal) && k != "DOTNET_ROOT").ToList())
        {
            start.Environment.Remove(key);
        }

        return start;
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunToEndAsync(string assembly, params string[] args)
    {
        using var process = Process.Start(Start(assembly, args))!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var errors = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            await process.WaitForExitAsync(Ct).WaitAsync(ExitTimeout, Ct);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await output, await errors);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
