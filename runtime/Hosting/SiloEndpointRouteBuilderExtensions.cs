using AgentGrains.Runtime.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Runtime.Hosting;

/// <summary>Maps the endpoint other processes of the cluster use to reach this silo's grains.</summary>
public static class SiloEndpointRouteBuilderExtensions
{
    /// <summary>The path of the silo-to-silo read-only call endpoint.</summary>
    public const string ReadOnlyPath = "/internal/v1/read-only";

    /// <summary>
    /// Maps <c>POST /internal/v1/read-only</c>: a read-only grain call forwarded by another silo or a
    /// standalone gateway to this silo, which owns the grain. Durable calls never use it: they travel
    /// through the inbox.
    /// </summary>
    /// <remarks>
    /// The endpoint serves the cluster, not the public: keep it reachable only from the cluster's
    /// network (a Kubernetes network policy, or an ingress that does not route <c>/internal</c>).
    /// </remarks>
    public static IEndpointRouteBuilder MapAgentGrainsSiloEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapPost(ReadOnlyPath, static async (ReadOnlyRequest request, HttpContext context) =>
        {
            var silo = context.RequestServices.GetRequiredService<Silo>();
            return Results.Json(await silo.InvokeReadOnlyForPeerAsync(request).ConfigureAwait(false), RuntimeJson.Options);
        }).ExcludeFromDescription();
        return routes;
    }
}
