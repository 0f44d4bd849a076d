using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Grains.Models;

/// <summary>Adds the model (<see cref="IChatClient"/>) chosen by the <c>Model</c> configuration section.</summary>
public static class ModelServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates <see cref="ModelOptions"/> (section <c>Model</c>) and registers the
    /// <see cref="IChatClient"/> it selects, unless one is registered already.
    /// </summary>
    /// <remarks>
    /// <para><c>Model:Provider=OpenAI</c> registers <see cref="OpenAIChatClient"/>; otherwise the offline
    /// <see cref="ScriptedChatClient"/> answers. A model the application registers itself wins: before
    /// this call because registration is skipped, after it because the container returns the last one.</para>
    /// <para>An <c>OPENAI_API_KEY</c> alone does not switch to OpenAI: with <c>Model:Provider</c> unset the
    /// scripted model stays, and a warning at start-up says the key is ignored until <c>Model:Provider=OpenAI</c>.
    /// Invalid settings (e.g. OpenAI without <c>Model:Name</c>) stop the host at start-up.</para>
    /// </remarks>
    public static IServiceCollection AddAgentModel(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ModelOptions>()
            .BindConfiguration(ModelOptions.SectionName)
            .Configure<IConfiguration>(static (options, configuration) =>
            {
                // Where the OpenAI tools and SDKs look; default hosts map environment variables into configuration.
                if (string.IsNullOrWhiteSpace(options.ApiKey))
                {
                    options.ApiKey = configuration[ModelOptions.ApiKeyFallbackKey];
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelOptions>, ModelOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IChatClient>(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<ModelOptions>>().Value;
            return options.Provider == ModelProvider.OpenAI
                ? new OpenAIChatClient(options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<OpenAIChatClient>>())
                : new ScriptedChatClient();
        });
        if (!services.Any(static d => d.ImplementationType == typeof(ModelStartupCheck)))
        {
            services.AddHostedService<ModelStartupCheck>();
        }

        return services;
    }
}
