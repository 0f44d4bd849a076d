using AgentGrains.Client.Gateway;
using AgentGrains.Runtime.Hosting;

namespace AgentGrains.Client;

/// <summary>The standalone gateway: the HTTP API without grains, in front of the silos of a cluster.</summary>
/// <remarks>
/// It hosts no grain, so its node is a client (no membership, no claims): durable calls go into the
/// grains' inboxes and the owning silos are woken by LISTEN/NOTIFY; read-only calls go to the owner
/// over HTTP. Run it with <c>dotnet run --project client</c> against the silos' PostgreSQL database
/// (<c>Storage:Provider=PostgreSQL</c>, <c>ConnectionStrings:AgentGrains</c>).
/// </remarks>
public static class GatewayProgram
{
    /// <summary>Runs the gateway until Ctrl-C or SIGTERM.</summary>
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // Lowest-precedence default: a gateway apart from its silos only makes sense over PostgreSQL.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [new("Storage:Provider", "PostgreSQL")],
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            // Beside an embedded silo on 5080 by default.
            builder.WebHost.UseUrls("http://127.0.0.1:5090");
        }

        builder.Services.AddAgentGrainsSilo();
        builder.Services.AddAgentGrainsGateway();
        var app = builder.Build();
        app.MapAgentGrainsGateway();
        await app.RunAsync().ConfigureAwait(false);
    }
}
