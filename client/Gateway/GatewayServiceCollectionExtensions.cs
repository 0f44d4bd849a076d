using AgentGrains.Client.Gateway.Errors;
using AgentGrains.Client.Gateway.Health;
using AgentGrains.Client.Gateway.Http;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Client.Gateway.Tenants;
using AgentGrains.GrainInterfaces.Tenants;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using AgentGrains.Client.Gateway.Mcp;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.GrainInterfaces.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Orleans;

namespace AgentGrains.Client.Gateway;

/// <summary>Adds the gateway HTTP API's services to a host.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// Adds the gateway's services: options from the <c>Gateway</c> configuration section (validated
    /// at start), problem details and the exception-to-status mapping, the OpenAPI document, the
    /// health checks and the MCP server (the agents as tools). Map the endpoints with <see cref="GatewayEndpointRouteBuilderExtensions.MapAgentGrainsGateway"/>.
    /// </summary>
    /// <remarks>
    /// The gateway reaches grains only through the Orleans <c>IGrainFactory</c> in the container: the
    /// silo's in embedded mode (<c>UseOrleans</c>), an Orleans client's in a standalone gateway
    /// (<c>UseOrleansClient</c>). Calls to sessions go through <see cref="SessionCaller"/>.
    /// </remarks>
    public static IServiceCollection AddAgentGrainsGateway(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayExposureValidator>());
        // API keys as bearer tokens, or a browser signed in with one at /ui/login (a cookie); without configured
        // keys, every caller is the anonymous user (see ApiKeyAuthenticationHandler and BrowserSignIn).
        services.AddAuthentication(GatewayIdentity.DefaultScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(GatewayIdentity.Scheme, configureOptions: null)
            .AddBrowserSignIn();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(GatewayIdentity.DefaultScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(GatewayIdentity.AdminPolicy, static policy => policy.AddAuthenticationSchemes(GatewayIdentity.DefaultScheme).RequireRole(GatewayIdentity.AdminRole));
        // The sign-in form's token (its cookie is SameSite=Strict); the API's own bodies are JSON, never forms.
        services.AddAntiforgery(static options => options.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest);
        services.AddHostedService<GatewayIdentityStartup>();
        // Bound once: the silo and its embedded gateway both ask for it, and a second binding would append every list twice.
        if (!services.Any(static d => d.ServiceType == typeof(IConfigureOptions<TenantsOptions>)))
        {
            services.AddOptions<TenantsOptions>().BindConfiguration(TenantsOptions.SectionName);
        }

        services.AddOptions<TenantsOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TenantsOptions>, TenantsOptionsValidator>());
        services.AddRateLimiter(TenantRateLimits.Configure);
        services.TryAddSingleton<JsonRequestReader>();
        services.AddProblemDetails(static options => options.CustomizeProblemDetails = StatusCodeProblems.Describe);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IExceptionHandler, GatewayExceptionHandler>());
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "AgentGrains gateway",
                Version = "v1",
                Description = "Sessions with durable AI agents. Errors are RFC 7807 problem details.",
            };
            return Task.CompletedTask;
        }));
        services.TryAddSingleton<SessionCaller>();
        // Per request: the caller's tenant's grains (every id a request names is looked up within it).
        services.AddHttpContextAccessor();
        services.TryAddScoped(static sp => new TenantGrains(
            sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>().HttpContext?.User,
            sp.GetRequiredService<IOptionsMonitor<TenantsOptions>>().CurrentValue));
        // An Orleans client (a standalone gateway) reports lost silo connections here; a silo never does.
        services.TryAddSingleton<GatewayConnections>();
        services.AddSingleton<IClusterConnectionStatusObserver>(static sp => sp.GetRequiredService<GatewayConnections>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSessionExceptions();
        // The agents as MCP tools at /mcp, listed from the catalog at each request. Streamable HTTP,
        // stateless: each request is served on its own, by any gateway, with no session affinity; a
        // call's progress goes out on its own response, and closing that request cancels the call.
        services.TryAddSingleton<McpAgentTools>();
        services.AddMcpServer(static options => options.ServerInfo = new ModelContextProtocol.Protocol.Implementation { Name = "AgentGrains", Version = "1.0" })
            .WithHttpTransport(static options => options.Stateless = true)
            .WithListToolsHandler(static (context, cancellationToken) => context.Services!.GetRequiredService<McpAgentTools>().ListToolsAsync(context, cancellationToken))
            .WithCallToolHandler(static (context, cancellationToken) => context.Services!.GetRequiredService<McpAgentTools>().CallToolAsync(context, cancellationToken));
        services.AddHealthChecks().AddCheck<OrleansReadinessCheck>("orleans", tags: [HealthEndpoints.ReadyTag]);
        return services;
    }
}
