using AgentGrains.Runtime.Membership;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace AgentGrains.Client.Gateway.Cluster;

/// <summary>The <c>/v1/cluster</c> resource: the silos of the cluster as the membership table sees them.</summary>
internal static class ClusterEndpoints
{
    public static RouteGroupBuilder MapClusterEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/cluster").WithTags("Cluster");
        group.MapGet(string.Empty, GetClusterAsync)
            .WithName("GetCluster")
            .WithSummary("Lists the silos with their status (active, draining, dead), last heartbeat and number of active grains.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    private static async Task<Ok<ClusterResponse>> GetClusterAsync(IClusterMembership membership, CancellationToken cancellationToken)
    {
        var silos = await membership.GetSilosAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new ClusterResponse(
            [.. silos.Select(s => new SiloResponse(s.Id, s.Address, s.Status, s.LastHeartbeat, s.Activations))]));
    }
}
