using AgentGrains.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentGrains.Client.Gateway.Health;

/// <summary>Ready while the silo hosted in this process (if any) takes calls.</summary>
/// <remarks>
/// A starting, draining or stopped silo reports unhealthy so a load balancer stops sending it
/// requests that would only fail with 503. A gateway without an embedded silo is ready.
/// </remarks>
internal sealed class SiloReadinessCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var silo = services.GetService<Silo>();
        var result = silo switch
        {
            null => HealthCheckResult.Healthy("No silo runs in this process."),
            { Status: SiloStatus.Active } => HealthCheckResult.Healthy($"Silo {silo.SiloId} is active."),
            _ => HealthCheckResult.Unhealthy($"Silo {silo.SiloId} is {silo.Status.ToString().ToLowerInvariant()}."),
        };
        return Task.FromResult(result);
    }
}
