using AgentGrains.Client.Gateway.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Client.Gateway.Cluster;

/// <summary>The <c>/v1/cluster</c> resource: the silos as Orleans' membership and management grain see them.</summary>
internal static class ClusterEndpoints
{
    public static RouteGroupBuilder MapClusterEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/cluster").WithTags("Cluster").RequireAuthorization(Identity.GatewayIdentity.AdminPolicy);
        group.MapGet(string.Empty, GetClusterAsync)
            .WithName("GetCluster")
            .WithSummary("Lists the silos with their status (active, joining, shutting_down, stopping, dead), address, last I-am-alive time and number of activations.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    private static async Task<Ok<ClusterResponse>> GetClusterAsync([FromServices] IGrainFactory grains, [FromServices] SessionCaller caller, CancellationToken cancellationToken)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        // One retried read of both: a silo that has just died is still listed active until its peers
        // declare it dead, and asking it for statistics fails until then. Retrying only the statistics
        // would ask the same dead silo again until the wait ran out; reading the hosts again drops it.
        var (hosts, activations) = await caller.ReadAsync(
            async () =>
            {
                var hosts = await management.GetDetailedHosts(onlyActive: false).ConfigureAwait(false);
                var active = hosts.Where(static h => h.Status == SiloStatus.Active).Select(static h => h.SiloAddress).ToArray();
                var statistics = active.Length == 0 ? [] : await management.GetRuntimeStatistics(active).ConfigureAwait(false);
                return (hosts, active.Zip(statistics).ToDictionary(static p => p.First, static p => p.Second.ActivationCount));
            },
            cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new ClusterResponse(
        [
            .. hosts.OrderBy(static h => h.StartTime).Select(h => new SiloResponse(
                h.SiloName,
                h.SiloAddress.ToString(),
                StatusOf(h.Status),
                new DateTimeOffset(DateTime.SpecifyKind(h.IAmAliveTime, DateTimeKind.Utc)),
                activations.GetValueOrDefault(h.SiloAddress))),
        ]));
    }

    private static string StatusOf(SiloStatus status) => status switch
    {
        SiloStatus.ShuttingDown => "shutting_down",
        _ => status.ToString().ToLowerInvariant(),
    };
}
