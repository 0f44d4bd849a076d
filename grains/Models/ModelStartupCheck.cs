using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Models;

/// <summary>Says once at start-up when an OpenAI key is configured but the offline model answers.</summary>
internal sealed partial class ModelStartupCheck(IConfiguration configuration, ILogger<ModelStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Only when the provider is unset: Model:Provider=Scripted is an explicit choice.
        var provider = configuration[$"{ModelOptions.SectionName}:{nameof(ModelOptions.Provider)}"];
        var key = configuration[$"{ModelOptions.SectionName}:{nameof(ModelOptions.ApiKey)}"] ?? configuration[ModelOptions.ApiKeyFallbackKey];
        if (string.IsNullOrWhiteSpace(provider) && !string.IsNullOrWhiteSpace(key))
        {
            LogKeyIgnored(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Never the key itself: only that one is there.
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "An OpenAI API key is configured but Model:Provider is unset, so the offline scripted model answers and the key is ignored; set Model:Provider=OpenAI and Model:Name to use it")]
    private static partial void LogKeyIgnored(ILogger logger);
}
