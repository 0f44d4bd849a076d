using Orleans.Configuration;

namespace AgentGrains.Storage.Cluster;

/// <summary>
/// Failure-detection settings for small clusters (a few silos on one fast network) that AgentGrains
/// silos start from instead of Orleans' own, so a killed silo is declared dead in about one to two
/// seconds instead of about thirteen.
/// </summary>
/// <remarks>
/// <para>They are defaults: <c>Orleans:Membership:*</c> configuration (such as
/// <c>Orleans:Membership:ProbeTimeout = 00:00:05</c>) and any <c>Configure&lt;ClusterMembershipOptions&gt;</c>,
/// registered before or after <c>UseAgentGrainsClustering</c>, override each of them.</para>
/// <para>How a kill is detected: peers probe each silo about once per probe timeout; a dead
/// process refuses the connection, so each probe fails at once. After
/// <see cref="NumMissedProbesLimit"/> missed probes a peer asks another silo to probe indirectly,
/// and when that fails too, both vote; two votes (Orleans' default; one while only two silos are
/// active) declare the silo Dead in the table, and gossip spreads it. A silo
/// that missed the gossip reads it within <see cref="TableRefreshTimeout"/>. A frozen silo (paused,
/// not dead) makes each probe wait out its timeout, so it takes about <see cref="NumMissedProbesLimit"/>
/// × <see cref="MaxProbeTimeout"/> longer.</para>
/// <para><c>NumVotesForDeathDeclaration</c> keeps Orleans' 2: with three silos and one killed,
/// declaring death took 1.1–2.1 s with two votes and 0.8–2.3 s with one (the indirect probe supplies
/// the second vote at once), and two votes keep a single sick silo from evicting a healthy one.
/// Measurements in docs/cluster.md.</para>
/// </remarks>
public static class FailureDetectionDefaults
{
    /// <summary>The configuration section whose keys override these defaults, one per <see cref="ClusterMembershipOptions"/> property.</summary>
    public const string SectionName = "Orleans:Membership";

    /// <summary>
    /// The number of missed probes after which a peer votes a silo dead: 2 (Orleans: 3). Two, not one,
    /// so a single lost probe (a long GC pause) never evicts a live silo.
    /// </summary>
    public const int NumMissedProbesLimit = 2;

    /// <summary>
    /// The initial probe timeout: 1 s (Orleans: 5 s). Probe round trips between silos on one network
    /// take well under a millisecond; Orleans adapts the timeout to the observed round trips within
    /// <c>MinProbeTimeout</c> (half of this, 0.5 s) and <see cref="MaxProbeTimeout"/>.
    /// </summary>
    public static TimeSpan ProbeTimeout { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest effective probe timeout: 2 s (Orleans: four times <see cref="ProbeTimeout"/>).
    /// It bounds how long a frozen silo can hold each probe. Raise it with <see cref="ProbeTimeout"/>:
    /// start-up refuses a maximum below the initial timeout.
    /// </summary>
    public static TimeSpan MaxProbeTimeout { get; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often each silo re-reads the membership table: 2 s (Orleans: 60 s). Gossip normally spreads
    /// a death at once; the refresh bounds how long a silo that missed the gossip keeps routing to a
    /// dead one. One read of a small table every 2 s per silo is cheap for Redis and PostgreSQL.
    /// </summary>
    public static TimeSpan TableRefreshTimeout { get; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often each silo writes its "I am alive" time into the table: 5 s (Orleans: 30 s). A silo
    /// whose row is older than three of these (15 s) counts as stale: it no longer counts towards
    /// the number of votes needed, so a frozen silo cannot hold up the vote on another for minutes.
    /// </summary>
    public static TimeSpan IAmAliveTablePublishTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <summary>Sets every default above on <paramref name="options"/>.</summary>
    /// <param name="options">The options to change.</param>
    public static void Apply(ClusterMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProbeTimeout = ProbeTimeout;
        options.MaxProbeTimeout = MaxProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.TableRefreshTimeout = TableRefreshTimeout;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
    }
}
