using AgentGrains.Client.Dashboard;
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
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            // Beside an embedded silo on 5080 by default.
            builder.WebHost.UseUrls("http://127.0.0.1:5090");
        }

        // Cluster:Provider (Localhost, Redis or AdoNet) and Orleans:ClusterId as the silos have them.
        builder.UseOrleansClient(client =>
        {
            client.UseAgentGrainsClustering(builder.Configuration);
            client.Services.AddSessionExceptions();
            // Served from the silos' dashboard grains.
            client.AddAgentGrainsDashboard(builder.Configuration);
        });
        builder.Services.AddAgentGrainsGateway();
        var app = builder.Build();
        app.MapAgentGrainsGateway();
        app.MapAgentGrainsDashboard();
        await app.RunAsync().ConfigureAwait(false);
    }
}
