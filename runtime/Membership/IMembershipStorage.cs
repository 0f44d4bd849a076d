namespace AgentGrains.Runtime.Membership;

/// <summary>The membership table: who is in the cluster and whether they are alive.</summary>
/// <remarks>
/// Liveness is judged by the database's clock: a silo is dead when its heartbeat is older than
/// the death timeout at the database, whatever the silos' own clocks say.
/// </remarks>
internal interface IMembershipStorage
{
    /// <summary>Adds this silo as <c>active</c> with a heartbeat now, and marks older silos registered at the same address dead (its previous incarnations).</summary>
    Task RegisterAsync(string siloId, string address, CancellationToken cancellationToken);

    /// <summary>Renews the heartbeat; false if the silo was declared dead meanwhile (it must stop).</summary>
    Task<bool> HeartbeatAsync(string siloId, int activations, CancellationToken cancellationToken);

    /// <summary>Sets the silo's status (<c>draining</c> while stopping, <c>dead</c> when gone).</summary>
    Task SetStatusAsync(string siloId, string status, CancellationToken cancellationToken);

    /// <summary>Marks every silo whose heartbeat is older than <paramref name="deathTimeout"/> as dead; returns their ids.</summary>
    Task<IReadOnlyList<string>> DeclareDeadAsync(TimeSpan deathTimeout, CancellationToken cancellationToken);

    /// <summary>Every registered silo, with a status that already reflects <paramref name="deathTimeout"/>.</summary>
    Task<IReadOnlyList<SiloInfo>> ReadSilosAsync(TimeSpan deathTimeout, CancellationToken cancellationToken);
}
