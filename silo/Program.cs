using AgentGrains.Client.Gateway;
using AgentGrains.Grains;
using AgentGrains.Runtime.Hosting;

// Embedded mode: one process runs the silo (grains on the SQLite file in Storage:Path) and the
// gateway over it. Ctrl-C / SIGTERM stop the host, which stops the silo gracefully: turns in
// flight commit, grains are released, and queued messages wait in the inbox for the next start.
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

// Other silos and the cluster view show where this silo serves the API.
if (string.IsNullOrEmpty(builder.Configuration["Silo:Address"]))
{
    builder.Configuration["Silo:Address"] = (builder.Configuration["urls"] ?? "http://127.0.0.1:5080").Split(';')[0];
}

builder.Services.AddAgentGrainsSilo().AddAgentSessions();
builder.Services.AddAgentGrainsGateway();

var app = builder.Build();
app.MapAgentGrainsGateway();
app.MapAgentGrainsSiloEndpoints();
await app.RunAsync();

/// <summary>The silo executable; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
