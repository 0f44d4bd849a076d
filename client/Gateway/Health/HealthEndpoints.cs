using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;

namespace AgentGrains.Client.Gateway.Health;

/// <summary>Liveness (<c>/healthz</c>) and readiness (<c>/readyz</c>) probes.</summary>
internal static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        // Liveness runs no check: the process answering is the signal. A failing dependency must not
        // make Kubernetes restart a pod that would come back to the same failing dependency.
        routes.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = static _ => false })
            .WithDisplayName("Liveness")
            .AllowAnonymous();
        routes.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = static check => check.Tags.Contains(ReadyTag) })
            .WithDisplayName("Readiness")
            .AllowAnonymous();
        return routes;
    }
}
