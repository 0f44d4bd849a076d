namespace AgentGrains.Runtime.Membership;

/// <summary>Reads the cluster's membership: every silo with its status, heartbeat and load.</summary>
public interface IClusterMembership
{
    /// <summary>Every registered silo; a silo whose heartbeat is older than the death timeout is reported <c>dead</c>.</summary>
    Task<IReadOnlyList<SiloInfo>> GetSilosAsync(CancellationToken cancellationToken);
}
