using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentGrains.Grains.Agents;

/// <summary>Builds the agent catalog when the host starts.</summary>
/// <remarks>
/// Without it an invalid agent definition (an unknown tool, a zero window) would surface only at
/// the first session activation, as a failed grain call; this way the host refuses to start and
/// says what to fix, like options validated on start.
/// </remarks>
internal sealed class AgentCatalogStartupCheck(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<AgentCatalog>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
