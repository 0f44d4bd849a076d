using AgentGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Tests.Gateway;

/// <summary>The silo executable (silo, agent sessions and gateway) over a test's storage, served in memory.</summary>
/// <remarks>
/// The whole pipeline of silo/Program.cs runs (an Orleans silo on localhost clustering, on ports of
/// its own), appsettings.json included; only the settings given here are laid over it. Disposing
/// stops the host gracefully, as Ctrl-C does. <c>configuration</c> adds sources of the test's own
/// last (a reloadable one, to change a setting while the app runs).
/// </remarks>
public sealed class GatewayApp(
    StorageUnderTest storage,
    IReadOnlyDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null,
    Action<IConfigurationBuilder>? configuration = null) : WebApplicationFactory<Program>
{
    // Each app is a one-silo cluster of its own: its Orleans ports must not meet another test's.
    private readonly Dictionary<string, string?> ports = new()
    {
        ["Orleans:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Orleans:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The port Orleans clients (a standalone gateway) reach this silo at.</summary>
    public int GatewayPort => int.Parse(
        settings is not null && settings.TryGetValue("Orleans:GatewayPort", out var port) && port is not null ? port : ports["Orleans:GatewayPort"]!,
        System.Globalization.CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The executable runs as Production when started with dotnet run; test what ships.
        builder.UseEnvironment("Production");
        // Host settings reach Program.cs as its command line does, before the silo is composed:
        // choices made while composing (Storage:Provider for reminders and grain state,
        // Dashboard:Enabled) see them. The app configuration below is laid over the host's only
        // when it is built.
        foreach (var (key, value) in storage.Settings.Concat(ports).Concat(settings ?? new Dictionary<string, string?>()))
        {
            if (value is not null)
            {
                builder.UseSetting(key, value);
            }
        }

        builder.ConfigureAppConfiguration(sources =>
        {
            sources.AddInMemoryCollection(storage.Settings);
            sources.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });
            sources.AddInMemoryCollection(ports);
            if (settings is not null)
            {
                sources.AddInMemoryCollection(settings);
            }

            configuration?.Invoke(sources);
        });
        // Everything the app logs is watched for the run's secrets (SecretWatch).
        builder.ConfigureLogging(static logging => logging.AddProvider(SecretWatch.LoggerProvider));
        if (services is not null)
        {
            builder.ConfigureServices(services);
        }
    }
}
