using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Gateway.Identity;

/// <summary>Says at start-up how the gateway authenticates: which keys, or that it is open.</summary>
internal sealed partial class GatewayIdentityStartup(IOptions<GatewayOptions> options, ILogger<GatewayIdentityStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var keys = options.Value.ApiKeys;
        if (keys.Count == 0)
        {
            LogOpen(logger);
        }
        else
        {
            // Names only: never a hash.
            var names = string.Join(", ", keys.Keys.Order(StringComparer.Ordinal));
            LogKeys(logger, keys.Count, names);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The gateway is open: no Gateway:ApiKeys are configured, so every caller may read and drive every session. Keep it on loopback, or configure API keys before exposing it")]
    private static partial void LogOpen(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "The gateway accepts {KeyCount} API keys ({KeyNames}) as Authorization: Bearer")]
    private static partial void LogKeys(ILogger logger, int keyCount, string keyNames);
}
