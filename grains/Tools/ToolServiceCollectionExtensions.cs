using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Tools.Mcp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Grains.Tools;

/// <summary>Registers the <see cref="ToolRegistry"/> and the configuration-dependent built-in tools.</summary>
internal static class ToolServiceCollectionExtensions
{
    /// <summary>
    /// Registers the registry over every <see cref="AgentTool"/> in the container, plus <c>notify</c>
    /// (<see cref="WebhookTool"/>) when <c>Tools:Notify:Url</c> is set. A registry registered before
    /// is kept.
    /// </summary>
    public static IServiceCollection AddToolRegistry(this IServiceCollection services)
    {
        services.AddNotifyHttpClient();
        // notify exists only when its URL is configured, which is known once the container is built,
        // so it joins the registered tools here rather than as an AgentTool registration.
        services.TryAddSingleton(static sp => new McpServers(sp.GetService<IConfiguration>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(static sp => sp.GetRequiredService<McpServers>());
        // MCP tools exist for the mcp:server/tool names agents use (in code or configuration) whose server is configured.
        services.TryAddSingleton(static sp => new ToolRegistry(
            WebhookTool.AddIfConfigured(sp.GetServices<AgentTool>(), sp).Concat(sp.GetRequiredService<McpServers>().ToolsFor(
                sp.GetServices<AgentDefinition>().Concat(ConfiguredAgents.Read(sp.GetService<IConfiguration>())))),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ToolRegistry>>()));
        return services;
    }

    /// <summary>
    /// Binds and validates <c>Tools:Notify</c> and registers the <c>notify</c> tool's HTTP client, whose
    /// connections go through <see cref="WebhookAddressGuard"/> unless <c>Tools:Notify:AllowPrivateNetworks</c> is set.
    /// </summary>
    public static IServiceCollection AddNotifyHttpClient(this IServiceCollection services)
    {
        services.AddOptions<NotifyToolOptions>().BindConfiguration(NotifyToolOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NotifyToolOptions>, NotifyToolOptionsValidator>());
        services.AddHttpClient(WebhookTool.HttpClientName).ConfigurePrimaryHttpMessageHandler(
            static sp => WebhookAddressGuard.CreateHandler(sp.GetRequiredService<IOptions<NotifyToolOptions>>().Value.AllowPrivateNetworks));
        return services;
    }
}
