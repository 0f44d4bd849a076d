using AgentGrains.Client.Gateway;
using AgentGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;

namespace AgentGrains.Tests.Gateway;

/// <summary>The gateway HTTP API in front of a test cluster, as a standalone gateway is: every call goes through the cluster's Orleans client.</summary>
/// <remarks>The real ASP.NET Core pipeline and the gateway's own services, served in memory; only the grain factory is the test cluster's.</remarks>
public sealed class ClusterGateway : IAsyncDisposable
{
    private readonly WebApplication app;

    private ClusterGateway(WebApplication app) => this.app = app;

    /// <summary>Starts the gateway over <paramref name="client"/>.</summary>
    public static async Task<ClusterGateway> StartAsync(IClusterClient client, IReadOnlyDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(SecretWatch.LoggerProvider);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton<IGrainFactory>(client);
        builder.Services.AddAgentGrainsGateway();
        var app = builder.Build();
        app.MapAgentGrainsGateway();
        await app.StartAsync();
        return new ClusterGateway(app);
    }

    /// <summary>An HTTP client of the gateway.</summary>
    public HttpClient CreateClient() => app.GetTestClient();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
