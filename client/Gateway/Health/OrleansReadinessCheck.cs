using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Client.Gateway.Health;

/// <summary>Ready when this process can serve sessions: its silo is an active member of the cluster, or (a standalone gateway) its Orleans client sees an active silo.</summary>
internal sealed class OrleansReadinessCheck(IServiceProvider services) : IHealthCheck
{
    // A readiness probe must answer fast; a client that cannot reach the cluster in this long is not ready.
    private static readonly TimeSpan ClientProbe = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<ILocalSiloDetails>() is { } silo)
        {
            var status = services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            return status == SiloStatus.Active
                ? HealthCheckResult.Healthy($"Silo {silo.Name} is active.")
                : HealthCheckResult.Unhealthy($"Silo {silo.Name} is {status.ToString().ToLowerInvariant()}.");
        }

        try
        {
            var hosts = await services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken)
                .WaitAsync(ClientProbe, cancellationToken).ConfigureAwait(false);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"The cluster has {hosts.Count} active silos.")
                : HealthCheckResult.Unhealthy("The cluster has no active silo.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"The cluster cannot be reached: {ex.Message}");
        }
    }
}
