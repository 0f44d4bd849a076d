using AgentGrains.Client.Dashboard;
using AgentGrains.Client.Gateway;
using AgentGrains.Client.Hosting;
using AgentGrains.Client.Telemetry;
using AgentGrains.Grains;
using AgentGrains.Storage.Cluster;
using AgentGrains.Storage.Hosting;
using Orleans.Hosting;

// One process: an Orleans silo (agent sessions, their journals, reminders and grain state where
// Storage:Provider says: the SQLite file in Storage:Path by default), and the gateway HTTP API over it.
// Ctrl-C / SIGTERM stop the host, which stops the silo gracefully; runs in flight resume from their
// journals on the next start (or on another silo of the cluster).
// Settings ship next to the binary, and an appsettings.json in the working directory overrides them; the
// working directory is where data/ goes (Storage:Path is relative to it).
const string Name = "agentgrains-silo";
const string Usage = $"""
    AgentGrains silo: an Orleans silo with the gateway HTTP API, agent sessions and their journals.

    Usage: dotnet run --project silo [-- --<key>=<value> ...]

      --urls=<url>                     where the API listens (default http://127.0.0.1:5080)
      --Storage:Provider=<name>        Sqlite (default: one file, one process) or PostgreSQL
      --Storage:Path=<file>            the SQLite file (default data/agentgrains.db)
      --Orleans:SiloPort=<port>        silo-to-silo port (default 11111)
      --Orleans:GatewayPort=<port>     the port standalone gateways connect to (default 30000)
      --Model:Provider=<name>          Scripted (default: offline) or OpenAI (with Model:Name, OPENAI_API_KEY)
      --Mcp:Servers:<server>:Command=<program>
                                       an MCP server run over stdio, with ...:Arguments:0, ...:1, ...
      --Mcp:Servers:<server>:Url=<url> an MCP server over streamable HTTP; agents name its tools mcp:<server>/<tool>
    {ExecutableHost.SharedSettings}
    """;
if (ExecutableHost.TryPrintUsage(args, Usage))
{
    return 0;
}

var app = ExecutableHost.TryBuild(Name, () =>
{
    var builder = ExecutableHost.CreateBuilder(args, defaultPort: 5080);

    builder.UseOrleans(silo =>
    {
        silo.UseAgentGrainsClustering(builder.Configuration);
        silo.UseAgentGrainsStorage(builder.Configuration);
        silo.AddAgentSessions();
        // The executable's, not AddAgentSessions': hosts that embed silos (tests, benchmarks) stay without it.
        silo.AddAgentGrainsDashboard(builder.Configuration);
        // Traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, metrics at /metrics; the executable's too.
        silo.AddAgentGrainsTelemetry();
    });
    builder.Services.AddAgentGrainsGateway();

    return builder.Build();
});
if (app is null)
{
    return ExecutableHost.BadSettingsExitCode;
}

app.MapAgentGrainsGateway();
app.MapAgentGrainsDashboard();
app.MapAgentGrainsTelemetry();
await app.RunAsync();
return 0;

/// <summary>The silo executable; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
