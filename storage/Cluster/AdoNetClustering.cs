using AgentGrains.Storage.Hosting;
using Microsoft.Extensions.Configuration;
using Orleans.Hosting;

namespace AgentGrains.Storage.Cluster;

/// <summary>
/// <see cref="ClusterProvider.AdoNet"/>: membership in PostgreSQL through Microsoft.Orleans.Clustering.AdoNet,
/// on the project's own membership tables (migration <c>postgres/0005_orleans.sql</c>), in the schema
/// and database of <c>Storage</c> (<c>Storage:Provider</c> must be <c>PostgreSQL</c>).
/// </summary>
internal static class AdoNetClustering
{
    /// <summary>Registers PostgreSQL membership on a silo.</summary>
    public static void UseOnSilo(ISiloBuilder builder, IConfiguration configuration)
    {
        _ = configuration;
        builder.UsePostgresClustering();
    }

    /// <summary>Registers PostgreSQL membership (the gateway list) on a client.</summary>
    public static void UseOnClient(IClientBuilder builder, IConfiguration configuration)
    {
        _ = configuration;
        builder.UsePostgresClustering();
    }
}
