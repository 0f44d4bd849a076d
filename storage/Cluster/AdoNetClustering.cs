using Microsoft.Extensions.Configuration;
using Orleans.Hosting;

namespace AgentGrains.Storage.Cluster;

/// <summary>
/// The seam for <see cref="ClusterProvider.AdoNet"/>: membership in PostgreSQL through
/// Microsoft.Orleans.Clustering.AdoNet, wired here once the project's PostgreSQL membership tables
/// and query rows exist (the package ships no SQL).
/// </summary>
internal static class AdoNetClustering
{
    private const string NotYet =
        "Cluster:Provider AdoNet (membership in PostgreSQL) is wired when the PostgreSQL tables land; " +
        "use Cluster:Provider Localhost or Redis until then.";

    /// <summary>Registers PostgreSQL membership on a silo.</summary>
    /// <exception cref="NotSupportedException">Always, until the PostgreSQL membership tables exist.</exception>
    public static void UseOnSilo(ISiloBuilder builder, IConfiguration configuration) => throw new NotSupportedException(NotYet);

    /// <summary>Registers PostgreSQL membership (the gateway list) on a client.</summary>
    /// <exception cref="NotSupportedException">Always, until the PostgreSQL membership tables exist.</exception>
    public static void UseOnClient(IClientBuilder builder, IConfiguration configuration) => throw new NotSupportedException(NotYet);
}
