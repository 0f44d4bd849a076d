using AgentGrains.Runtime.Hosting;
using Microsoft.Extensions.Options;

namespace AgentGrains.Runtime.Membership;

/// <summary>The membership view over the configured storage.</summary>
internal sealed class ClusterMembership(IMembershipStorage storage, IOptions<SiloOptions> options) : IClusterMembership
{
    public Task<IReadOnlyList<SiloInfo>> GetSilosAsync(CancellationToken cancellationToken) =>
        storage.ReadSilosAsync(options.Value.DeathTimeout, cancellationToken);
}
