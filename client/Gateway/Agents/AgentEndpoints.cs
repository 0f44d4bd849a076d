using AgentGrains.Client.Gateway.Tenants;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.GrainInterfaces.Agents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans;

namespace AgentGrains.Client.Gateway.Agents;

/// <summary>The <c>/v1/agents</c> resource: the agent definitions sessions can be created with.</summary>
/// <remarks>
/// Read through <see cref="IAgentCatalogGrain"/> (a stateless worker on the silos), so a standalone
/// gateway, which holds no agent definitions, lists the silos' own.
/// </remarks>
internal static class AgentEndpoints
{
    public static RouteGroupBuilder MapAgentEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/agents").WithTags("Agents");
        group.MapGet(string.Empty, ListAgentsAsync)
            .WithName("ListAgents")
            .WithSummary("Lists the agent definitions: name, description, the start of the instructions, tools, specialists and handoffs.")
            .WithDescription("Every agent a session can be created with, sorted by name. A specialist (an agent managers call as a tool) has a description, the one managers' models see; specialists lists the agents an agent calls as tools.")
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        return group;
    }

    private static async Task<Ok<AgentListResponse>> ListAgentsAsync([FromServices] TenantGrains grains, [FromServices] SessionCaller caller, CancellationToken cancellationToken)
    {
        var agents = await caller.ReadAsync(grains.All.GetGrain<IAgentCatalogGrain>(0).ListAsync, cancellationToken).ConfigureAwait(false);
        // The agents the caller's tenant may use (Tenants:<tenant>:Agents).
        return TypedResults.Ok(new AgentListResponse([.. agents.Where(a => grains.Policy.AllowsAgent(a.Name))]));
    }
}
