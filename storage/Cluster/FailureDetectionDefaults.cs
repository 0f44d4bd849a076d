using Orleans.Configuration;

namespace AgentGrains.Storage.Cluster;

/// <summary>
/// Failure-detection settings for small clusters (a few silos on a fast network) that AgentGrains
/// silos start from instead of Orleans' own, so a killed silo is declared dead in about two seconds
/// instead of 11–18 s.
/// </summary>
/// <remarks>
/// <para>They are defaults: <c>Orleans:Membership:*</c> configuration (such as
/// <c>Orleans:Membership:ProbeTimeout = 00:00:05</c>) and any <c>Configure&lt;ClusterMembershipOptions&gt;</c>,
/// registered before or after <c>UseAgentGrainsClustering</c>, override each of them.</para>
/// <para>How a kill is detected: a peer probes the silo directly every probe period; a dead
/// process refuses the connection, so each probe fails at once; after
/// <see cref="NumMissedProbesLimit"/> missed probes the peer votes, and with
/// <see cref="NumVotesForDeathDeclaration"/> votes it writes the silo as Dead and gossips it. The
/// rest is bounded by <see cref="TableRefreshTimeout"/>. A frozen silo (paused, not dead) makes
/// each probe wait its timeout, so it takes about <see cref="NumMissedProbesLimit"/> ×
/// <see cref="MaxProbeTimeout"/> plus a refresh.</para>
/// <para>Measured on this project's 2-core machines (docs/cluster.md): with Orleans' defaults a
/// killed silo was declared dead after 11–18 s and a frozen one after about 60 s; with these,
/// after about 1–2 s and about 5 s.</para>
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
    /// The votes needed to declare a silo dead: 1 (Orleans: 2). Orleans already lowers the count
    /// to a majority of the active silos, so one vote only changes clusters of three or more; it
    /// suits clusters of up to about three silos on one network, where a second voter adds a probe
    /// period and little safety. Raise it to 2 for larger clusters or silos across unreliable links.
    /// </summary>
    public const int NumVotesForDeathDeclaration = 1;

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
    /// whose row is older than three of these counts as stale and stops counting towards the
    /// majority of voters, so a frozen silo cannot hold up the vote on another.
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
        options.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
        options.TableRefreshTimeout = TableRefreshTimeout;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
    }
}
