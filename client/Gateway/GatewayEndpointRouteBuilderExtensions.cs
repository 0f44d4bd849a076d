using AgentGrains.Client.Gateway.Agents;
using AgentGrains.Client.Gateway.Cluster;
using AgentGrains.Client.Gateway.Health;
using AgentGrains.Client.Gateway.Runs;
using AgentGrains.Client.Gateway.Sessions;
using Microsoft.AspNetCore.Builder;

namespace AgentGrains.Client.Gateway;

/// <summary>Maps the gateway HTTP API into an application.</summary>
public static class GatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Adds the error-handling middleware and maps the gateway: <c>/v1/agents</c>, <c>/v1/sessions</c>, <c>/v1/runs</c>, <c>/v1/cluster</c>, <c>/healthz</c>,
    /// <c>/readyz</c> and the OpenAPI document at <c>/openapi/v1.json</c>.
    /// </summary>
    /// <remarks>
    /// Call it before other middleware that should have its failures reported as problem details:
    /// the exception handler it adds turns every failure into an RFC 7807 body with one status per
    /// failure, and the status-code pages give empty error responses (unknown route, wrong method)
    /// the same shape. Requires <see cref="GatewayServiceCollectionExtensions.AddAgentGrainsGateway"/>.
    /// </remarks>
    public static WebApplication MapAgentGrainsGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapHealthEndpoints();
        app.MapAgentEndpoints();
        app.MapSessionEndpoints();
        app.MapRunEndpoints();
        app.MapClusterEndpoints();
        return app;
    }
}
