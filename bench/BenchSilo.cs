using System.Net;
using System.Net.Sockets;
using AgentGrains.Grains;
using AgentGrains.Storage.Cluster;
using AgentGrains.Storage.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Bench;

/// <summary>An Orleans silo in this process, composed as the silo executable composes it: clustering and storage from configuration, agent sessions (the Orleans Dashboard only where a mode adds it).</summary>
/// <remarks>
/// The configuration is only what the bench passes (no appsettings, environment or command line),
/// so a variable set in the shell cannot change what is measured. Each silo gets free loopback
/// ports unless the settings name them. Logs at Error and above go to standard error, so standard
/// output holds only the figures.
/// </remarks>
internal sealed class BenchSilo : IAsyncDisposable
{
    private BenchSilo(IHost host, string siloPort)
    {
        Host = host;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
        Name = $"127.0.0.1:{siloPort}";
    }

    public IHost Host { get; }

    /// <summary>Grain references whose calls enter the cluster through this silo.</summary>
    public IGrainFactory Grains { get; }

    /// <summary>The silo's endpoint, as runs name the silo that held them.</summary>
    public string Name { get; }

    /// <summary>How many silos this silo's membership view holds as active.</summary>
    public int ActiveSilos() =>
        Host.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(static m => m.Status == SiloStatus.Active);

    /// <summary>Starts a silo over <paramref name="settings"/> (the <c>Storage</c>, <c>Cluster</c> and <c>Orleans</c> keys of the silo executable).</summary>
    /// <param name="settings">The silo's configuration.</param>
    /// <param name="services">Adds the bench's agents and tools, or replaces services to time them.</param>
    /// <param name="silo">Adds to the silo what a mode compares (the Orleans Dashboard), after the executable's composition.</param>
    public static async Task<BenchSilo> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection> services, Action<ISiloBuilder>? silo = null)
    {
        var configuration = new Dictionary<string, string?>(settings);
        configuration.TryAdd("Orleans:SiloPort", FreePort());
        configuration.TryAdd("Orleans:GatewayPort", FreePort());
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(static o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.UseOrleans(orleans =>
        {
            orleans.UseAgentGrainsClustering(builder.Configuration);
            orleans.UseAgentGrainsStorage(builder.Configuration);
            orleans.AddAgentSessions();
            silo?.Invoke(orleans);
        });
        services(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new BenchSilo(host, configuration["Orleans:SiloPort"]!);
    }

    /// <summary>A free loopback TCP port (taken by the silo a moment later; nothing else here races for it).</summary>
    private static string FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Stops the silo gracefully (its activations deactivate, its journal writer drains), then releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await Host.StopAsync(timeout.Token);
        }

        Host.Dispose();
    }
}
