using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Runtime.Membership;

namespace AgentGrains.Storage.Hosting;

/// <summary>Lets an Orleans client find a cluster whose membership is kept in PostgreSQL.</summary>
public static class PostgresClientBuilderExtensions
{
    /// <summary>Finds the cluster's gateways in the PostgreSQL membership table (Orleans' ADO.NET clustering).</summary>
    /// <remarks>
    /// The same configuration as the silos' (<c>Storage:Provider</c> <c>PostgreSQL</c>,
    /// <c>ConnectionStrings:AgentGrains</c>, <c>Storage:Schema</c>) and the same
    /// <see cref="ClusterOptions.ClusterId"/>. The client migrates the schema itself before its first read,
    /// so a standalone gateway may start before any silo: it then waits for gateways as its connection
    /// retry filter allows.
    /// </remarks>
    public static IClientBuilder UsePostgresClustering(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        PostgresHostingServices.Add(builder.Services);
        builder.UseAdoNetClustering(static (OptionsBuilder<AdoNetClusteringClientOptions> options) => options
            .Configure<OrleansPostgres>(static (o, postgres) =>
            {
                o.Invariant = OrleansPostgres.Invariant;
                o.DataSource = postgres.DataSource;
            }));
        builder.Services.Replace(ServiceDescriptor.Singleton<IGatewayListProvider>(static sp => new MigratingGatewayListProvider(
            ActivatorUtilities.CreateInstance<AdoNetGatewayListProvider>(sp),
            sp.GetRequiredService<OrleansPostgres>())));
        return builder;
    }
}
