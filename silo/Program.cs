using AgentGrains.Client.Dashboard;
using AgentGrains.Client.Gateway;
using AgentGrains.Grains;
using AgentGrains.Storage.Cluster;
using AgentGrains.Storage.Hosting;
using Orleans.Hosting;

// One process: an Orleans silo (agent sessions, their journals, reminders and grain state where
// Storage:Provider says: the SQLite file in Storage:Path by default), and the gateway HTTP API over it.
// Ctrl-C / SIGTERM stop the host, which stops the silo gracefully; runs in flight resume from their
// journals on the next start (or on another silo of the cluster).
// Settings ship next to the binary; the working directory is where data/ goes (Storage:Path is relative to it).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Loopback by default, so a laptop run exposes nothing. Set here rather than as "Urls" in
// appsettings.json, because appsettings.json outranks ASPNETCORE_URLS and would silently override it.
if (string.IsNullOrEmpty(builder.Configuration["urls"])
    && string.IsNullOrEmpty(builder.Configuration["http_ports"])
    && string.IsNullOrEmpty(builder.Configuration["https_ports"])
    && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

builder.UseOrleans(silo =>
{
    silo.UseAgentGrainsClustering(builder.Configuration);
    silo.UseAgentGrainsStorage(builder.Configuration);
    silo.AddAgentSessions();
    // The executable's, not AddAgentSessions': hosts that embed silos (tests, benchmarks) stay without it.
    silo.AddAgentGrainsDashboard(builder.Configuration);
});
builder.Services.AddAgentGrainsGateway();

var app = builder.Build();
app.MapAgentGrainsGateway();
app.MapAgentGrainsDashboard();
await app.RunAsync();

/// <summary>The silo executable; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
