using AgentGrains.Storage.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;

namespace AgentGrains.Storage.Cluster;

/// <summary>How an AgentGrains silo joins its cluster.</summary>
public static class ClusteringSiloBuilderExtensions
{
    /// <summary>
    /// Configures the silo's cluster and service ids, its endpoints, the membership provider named by
    /// <c>Cluster:Provider</c> and the <see cref="FailureDetectionDefaults"/>, all from <paramref name="configuration"/>
    /// (see <see cref="ClusteringOptions"/> for the keys).
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configuration">The configuration to read, usually the host's.</param>
    /// <returns>The same builder.</returns>
    /// <remarks>
    /// <para>Localhost uses Orleans' <c>UseLocalhostClustering</c> on the configured ports: a single
    /// silo that is its own primary. Redis uses <c>UseRedisClustering</c> with <c>ConnectionStrings:Redis</c>.</para>
    /// <para>With <c>Orleans:Kubernetes=true</c> the silo also uses Orleans' Kubernetes hosting (see
    /// <see cref="ClusteringOptions.Kubernetes"/>); without it nothing about Kubernetes is registered.</para>
    /// <para>The options are validated when the silo starts; a bad value fails start-up with every
    /// problem and its fix. An unknown provider registers no membership and fails the same way.</para>
    /// </remarks>
    public static ISiloBuilder UseAgentGrainsClustering(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);

        var options = ClusteringRegistration.AddClusteringOptions(builder.Services, configuration, silo: true);
        if (options.UnrecognizedProvider is null)
        {
            switch (options.Provider)
            {
                case ClusterProvider.Localhost:
                    builder.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primarySiloEndpoint: null, options.ServiceId, options.ClusterId);
                    break;
                case ClusterProvider.Redis:
                    builder.UseRedisClustering(static _ => { });
                    ClusteringRegistration.ConfigureRedis(builder.Services);
                    break;
                case ClusterProvider.AdoNet:
                    builder.UsePostgresClustering();
                    break;
                default:
                    // Not a named value: the validator reports it at start-up.
                    break;
            }
        }

        if (options.Kubernetes)
        {
            // Before the cluster ids and endpoints below: Orleans' Kubernetes hosting also reads ORLEANS_CLUSTER_ID and
            // ORLEANS_SERVICE_ID, and Orleans:ClusterId / Orleans:ServiceId must win, as they do everywhere else.
            builder.UseKubernetesHosting();
        }

        ClusteringRegistration.ConfigureClusterIds(builder.Services);
        ClusteringRegistration.ConfigureSiloEndpoints(builder.Services);
        ClusteringRegistration.AddFailureDetectionDefaults(builder.Services, configuration);
        return builder;
    }
}
