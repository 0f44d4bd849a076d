using AgentGrains.Storage.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;

namespace AgentGrains.Storage.Cluster;

/// <summary>How an AgentGrains client (the gateway) finds the cluster's silos.</summary>
public static class ClusteringClientBuilderExtensions
{
    /// <summary>
    /// Configures the client's cluster and service ids and how it finds gateways, from the membership
    /// provider named by <c>Cluster:Provider</c> in <paramref name="configuration"/> (see <see cref="ClusteringOptions"/>).
    /// </summary>
    /// <param name="builder">The client builder.</param>
    /// <param name="configuration">The configuration to read, usually the host's; the same keys as the silos'.</param>
    /// <returns>The same builder.</returns>
    /// <remarks>
    /// Localhost connects to <c>Orleans:GatewayPort</c> on the loopback address; Redis reads the live
    /// silos' gateways from the membership table in <c>ConnectionStrings:Redis</c>. The options are
    /// validated when the client starts.
    /// </remarks>
    public static IClientBuilder UseAgentGrainsClustering(this IClientBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);

        var options = ClusteringRegistration.AddClusteringOptions(builder.Services, configuration, silo: false);
        if (options.UnrecognizedProvider is null)
        {
            switch (options.Provider)
            {
                case ClusterProvider.Localhost:
                    builder.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
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

        ClusteringRegistration.ConfigureClusterIds(builder.Services);
        return builder;
    }
}
