using AgentGrains.Client.Gateway;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.Storage.Cluster;
using Orleans.Hosting;

namespace AgentGrains.Client;

/// <summary>The standalone gateway: the HTTP API as an Orleans client of a cluster it finds through the same membership as the silos.</summary>
public static class GatewayProgram
{
    /// <summary>Runs the gateway until Ctrl-C / SIGTERM.</summary>
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"])
            && string.IsNullOrEmpty(builder.Configuration["http_ports"])
            && string.IsNullOrEmpty(builder.Configuration["https_ports"])
            && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            // Beside an embedded silo on 5080 by default, on loopback (as the silo). A container sets
            // ASPNETCORE_HTTP_PORTS (or --urls) and then listens where that says.
            builder.WebHost.UseUrls("http://127.0.0.1:5090");
        }

        // Cluster:Provider (Localhost, Redis or AdoNet) and Orleans:ClusterId as the silos have them.
        builder.UseOrleansClient(client =>
        {
            client.UseAgentGrainsClustering(builder.Configuration);
            client.Services.AddSessionExceptions();
        });
        builder.Services.AddAgentGrainsGateway();
        var app = builder.Build();
        app.MapAgentGrainsGateway();
        await app.RunAsync().ConfigureAwait(false);
    }
}
