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
        var group = routes.MapGroup("/v1/cluster").WithTags("Cluster");
        group.MapGet(string.Empty, GetClusterAsync)
            .WithName("GetCluster")
            .WithSummary("Lists the silos with their status (active, joining, shutting_down, stopping, dead), address, last I-am-alive time and number of activations.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    private static async Task<Ok<ClusterResponse>> GetClusterAsync([FromServices] IGrainFactory grains, [FromServices] SessionCaller caller, CancellationToken cancellationToken)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var hosts = await caller.ReadAsync(() => management.GetDetailedHosts(onlyActive: false), cancellationToken).ConfigureAwait(false);
        var active = hosts.Where(static h => h.Status == SiloStatus.Active).Select(static h => h.SiloAddress).ToArray();
        var statistics = active.Length == 0
            ? []
            : await caller.ReadAsync(() => management.GetRuntimeStatistics(active), cancellationToken).ConfigureAwait(false);
        var activations = active.Zip(statistics).ToDictionary(static p => p.First, static p => p.Second.ActivationCount);
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
