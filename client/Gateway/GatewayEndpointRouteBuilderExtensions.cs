using AgentGrains.Client.Gateway.Agents;
using AgentGrains.Client.Gateway.Cluster;
using AgentGrains.Client.Gateway.Health;
using AgentGrains.Client.Gateway.Memory;
using AgentGrains.Client.Gateway.Outbox;
using AgentGrains.Client.Gateway.Runs;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.Client.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Scalar.AspNetCore;

namespace AgentGrains.Client.Gateway;

/// <summary>Maps the gateway HTTP API into an application.</summary>
public static class GatewayEndpointRouteBuilderExtensions
{
    /// <summary>Where the API reference page is served.</summary>
    public const string ApiReferencePrefix = "/api-reference";

    /// <summary>Where the OpenAPI document is served.</summary>
    private const string OpenApiPath = "/openapi/v1.json";

    /// <summary>Where the MCP server (every agent as a tool, streamable HTTP) is served.</summary>
    public const string McpPath = "/mcp";

    /// <summary>
    /// Adds the error-handling middleware and maps the gateway: <c>/v1/agents</c>, <c>/v1/sessions</c>, <c>/v1/runs</c>, <c>/v1/cluster</c>, <c>/v1/outbox</c>, <c>/healthz</c>,
    /// <c>/readyz</c>, the OpenAPI document at <c>/openapi/v1.json</c>, its API reference page at <c>/api-reference</c>, and the run
    /// views in the browser at <c>/ui</c> (sessions, a session's conversation, a run's timeline), and the agents as MCP tools at <c>/mcp</c>.
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
        // API keys (Gateway:ApiKeys), or a browser signed in with one; every endpoint needs a caller unless it says otherwise.
        app.UseAuthentication();
        app.UseAuthorization();
        // Per-tenant request rates (Gateway:RateLimit, Tenants:<tenant>:RateLimit): 429 past them.
        app.UseRateLimiter();
        // Checks the token of form posts (the sign-in page's); JSON requests are left alone.
        app.UseAntiforgery();
        // The API's description is public: it holds no data. Its one document only: OpenAPI's own
        // route ({documentName}) would answer any other name with a plain-text 404, not a problem.
        app.MapOpenApi(OpenApiPath).AllowAnonymous();
        // The API reference, a page over the OpenAPI document (its script is served by the gateway itself).
        app.MapScalarApiReference(ApiReferencePrefix, static options => options.WithTitle("AgentGrains gateway API")).AllowAnonymous();
        app.MapHealthEndpoints();
        app.MapAgentEndpoints();
        app.MapSessionEndpoints();
        app.MapRunEndpoints();
        app.MapClusterEndpoints();
        app.MapOutboxEndpoints();
        app.MapMemoryEndpoints();
        app.MapUiEndpoints();
        // JSON-RPC over streamable HTTP, described by MCP's tools/list rather than the OpenAPI document.
        app.MapMcp(McpPath).ExcludeFromDescription();
        return app;
    }
}
