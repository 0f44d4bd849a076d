namespace AgentGrains.Runtime.Cluster;

/// <summary>Single activation: who may run a grain.</summary>
internal interface IOwnershipStorage
{
    /// <summary>
    /// Makes <paramref name="siloId"/> the grain's owner with a new epoch, unless another silo owns it
    /// and is alive (status not dead, heartbeat younger than <paramref name="deathTimeout"/> by the
    /// database's clock). A silo that is not active itself (draining, dead) claims nothing.
    /// </summary>
    Task<ClaimResult> TryClaimAsync(GrainId grain, string siloId, TimeSpan deathTimeout, CancellationToken cancellationToken);

    /// <summary>The live silo that owns <paramref name="grain"/>, or null if none does.</summary>
    Task<string?> ReadOwnerAsync(GrainId grain, TimeSpan deathTimeout, CancellationToken cancellationToken);
}
