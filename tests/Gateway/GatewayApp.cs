using AgentGrains.Runtime;
using AgentGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentGrains.Tests.Gateway;

/// <summary>The silo executable (silo, agent sessions and gateway) over a test's storage, served in memory.</summary>
/// <remarks>
/// The whole pipeline of silo/Program.cs runs, appsettings.json included; only the settings given
/// here are laid over it. Disposing stops the host gracefully, as Ctrl-C does.
/// </remarks>
public sealed class GatewayApp(
    StorageUnderTest storage,
    IReadOnlyDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    private IHost? host;

    /// <summary>Stops the silo, then the host, as Ctrl-C does.</summary>
    /// <remarks>
    /// WebApplicationFactory stops the host while Program's own RunAsync, which it lets run, stops and
    /// disposes the same host at the same time. Silo.StopAsync returns at once to a second caller
    /// while the first is still deactivating grains, and the dispose that follows then breaks the first
    /// stop (ObjectDisposedException). Stopping the silo once, to the end, first avoids that race.
    /// </remarks>
    public override async ValueTask DisposeAsync()
    {
        if (host is not null)
        {
            await host.Services.GetRequiredService<Silo>().StopAsync(CancellationToken.None);
        }

        await base.DisposeAsync();
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        host = base.CreateHost(builder);
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The executable runs as Production when started with dotnet run; test what ships.
        builder.UseEnvironment("Production");
        builder.ConfigureAppConfiguration(configuration =>
        {
            configuration.AddInMemoryCollection(storage.Settings);
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });
            if (settings is not null)
            {
                configuration.AddInMemoryCollection(settings);
            }
        });
        if (services is not null)
        {
            builder.ConfigureServices(services);
        }
    }
}
