using AgentGrains.Client.Dashboard;
using AgentGrains.Client.Gateway;
using AgentGrains.Client.Hosting;
using AgentGrains.Client.Telemetry;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.Storage.Cluster;
using Orleans.Hosting;

namespace AgentGrains.Client;

/// <summary>The standalone gateway: the HTTP API as an Orleans client of a cluster it finds through the same membership as the silos.</summary>
public static class GatewayProgram
{
    private const string Name = "agentgrains-gateway";

    private static readonly string Usage = $"""
        AgentGrains gateway: the HTTP API as an Orleans client of a cluster of silos.

        Usage: dotnet run --project client [-- --<key>=<value> ...]

          --urls=<url>                     where the API listens (default http://127.0.0.1:5090)
        {ExecutableHost.SharedSettings}

        It finds the silos through the same membership as they do, and waits for one to answer.
        """;

    /// <summary>Runs the gateway until Ctrl-C / SIGTERM.</summary>
    /// <returns>0 after a normal stop; <see cref="ExecutableHost.BadSettingsExitCode"/> when settings are refused.</returns>
    public static async Task<int> Main(string[] args)
    {
        if (ExecutableHost.TryPrintUsage(args, Usage))
        {
            return 0;
        }

        var app = ExecutableHost.TryBuild(Name, () =>
        {
            // Beside an embedded silo (5080) by default.
            var builder = ExecutableHost.CreateBuilder(args, defaultPort: 5090);

            // Cluster:Provider (Localhost, Redis or AdoNet) and Orleans:ClusterId as the silos have them.
            builder.UseOrleansClient(client =>
            {
                client.UseAgentGrainsClustering(builder.Configuration);
                client.UseConnectionRetryFilter<WaitForCluster>();
                client.Services.AddSessionExceptions();
                // Served from the silos' dashboard grains.
                client.AddAgentGrainsDashboard(builder.Configuration);
                // The request's trace goes with its grain calls to the silos; metrics at /metrics.
                client.AddAgentGrainsTelemetry();
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
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
