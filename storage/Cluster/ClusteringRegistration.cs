using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.Configuration;

namespace AgentGrains.Storage.Cluster;

/// <summary>What the silo and client extensions share: reading and validating <see cref="ClusteringOptions"/> and applying them to Orleans' options.</summary>
/// <remarks>
/// Orleans' options are configured from the validated <see cref="ClusteringOptions"/> when they are
/// first read, not from values copied while the host is built. The first Orleans component that
/// reads its endpoints or cluster ids at start-up therefore runs <see cref="ClusteringOptionsValidator"/>,
/// so a misconfigured host fails with every one of this project's messages before Orleans' own
/// validators (which run later and say less) or a provider's connection attempt.
/// </remarks>
internal static class ClusteringRegistration
{
    /// <summary>The variable Kubernetes sets in every container of a pod (the API server's address).</summary>
    public const string KubernetesServiceHostKey = "KUBERNETES_SERVICE_HOST";

    /// <summary>The pod's address, from the downward API (the variable Orleans' Kubernetes hosting reads).</summary>
    public const string PodIPKey = "POD_IP";

    /// <summary>
    /// Registers <see cref="ClusteringOptions"/> (bound from <paramref name="configuration"/>, validated
    /// at start-up) and returns the values as they stand now, for the choices that must be made while
    /// the host is built (which provider to register).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The configuration to bind.</param>
    /// <param name="silo">False for a client, which ignores <see cref="ClusteringOptions.Kubernetes"/>.</param>
    public static ClusteringOptions AddClusteringOptions(IServiceCollection services, IConfiguration configuration, bool silo)
    {
        // Bound from the configuration handed to UseAgentGrainsClustering rather than the host's
        // (BindConfiguration), so that the registered provider and the validated options come from one source.
        services.AddOptions<ClusteringOptions>()
            .Bind(configuration.GetSection(ClusteringOptions.OrleansSectionName))
            .Configure(options =>
            {
                ReadKeysOutsideTheSection(configuration, options);
                options.Kubernetes &= silo;
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusteringOptions>, ClusteringOptionsValidator>());

        var snapshot = new ClusteringOptions();
        try
        {
            configuration.GetSection(ClusteringOptions.OrleansSectionName).Bind(snapshot);
        }
        catch (InvalidOperationException)
        {
            // A value that does not convert (a port that is not a number): start-up fails on it with
            // the key's name when the options are bound again. The choices made now need only the
            // provider; the ports handed to UseLocalhostClustering are replaced by the validated ones.
        }

        ReadKeysOutsideTheSection(configuration, snapshot);
        snapshot.Kubernetes &= silo;
        return snapshot;
    }

    /// <summary>Configures the cluster and service ids from the validated options.</summary>
    /// <remarks>Registered after the provider's own set-up so these values win over what it set while the host was built.</remarks>
    public static void ConfigureClusterIds(IServiceCollection services) =>
        services.AddOptions<ClusterOptions>().Configure<IOptions<ClusteringOptions>>((cluster, ours) =>
        {
            cluster.ClusterId = ours.Value.ClusterId;
            cluster.ServiceId = ours.Value.ServiceId;
        });

    /// <summary>Configures the silo's endpoints from the validated options.</summary>
    /// <remarks>Registered after the provider's own set-up so these values win over what it set while the host was built.</remarks>
    public static void ConfigureSiloEndpoints(IServiceCollection services) =>
        services.AddOptions<EndpointOptions>().Configure<IOptions<ClusteringOptions>>((endpoints, ours) =>
        {
            endpoints.SiloPort = ours.Value.SiloPort;
            endpoints.GatewayPort = ours.Value.GatewayPort;
            if (ours.Value.AdvertisedIP is { } advertised)
            {
                endpoints.AdvertisedIPAddress = IPAddress.Parse(advertised);
            }
            else if (ours.Value.Kubernetes && IPAddress.TryParse(ours.Value.PodIP, out var pod))
            {
                // Orleans' Kubernetes hosting would advertise POD_IP only when no address is set, but Orleans' own
                // default (an address of the host's interfaces) is set before it looks.
                endpoints.AdvertisedIPAddress = pod;
            }
        });

    /// <summary>Points Orleans' Redis clustering at the validated <c>ConnectionStrings:Redis</c>.</summary>
    public static void ConfigureRedis(IServiceCollection services) =>
        services.AddOptions<RedisClusteringOptions>().Configure<IOptions<ClusteringOptions>>((redis, ours) =>
            redis.ConfigurationOptions = ClusteringOptionsValidator.ParseRedis(ours.Value.RedisConnectionString!));

    /// <summary>
    /// Makes <see cref="FailureDetectionDefaults"/> the starting point of <see cref="ClusterMembershipOptions"/>,
    /// then applies <c>Orleans:Membership:*</c> from <paramref name="configuration"/> over them.
    /// </summary>
    /// <remarks>
    /// Options apply their configure actions in registration order, so these two are inserted first:
    /// every other <c>Configure&lt;ClusterMembershipOptions&gt;</c>, registered before or after this call,
    /// runs later and wins. (Orleans registers none of its own: its defaults are the property initializers.)
    /// </remarks>
    public static void AddFailureDetectionDefaults(IServiceCollection services, IConfiguration configuration)
    {
        services.Insert(0, ServiceDescriptor.Singleton<IConfigureOptions<ClusterMembershipOptions>>(
            new ConfigureNamedOptions<ClusterMembershipOptions>(Options.DefaultName, FailureDetectionDefaults.Apply)));
        services.Insert(1, ServiceDescriptor.Singleton<IConfigureOptions<ClusterMembershipOptions>>(
            new NamedConfigureFromConfigurationOptions<ClusterMembershipOptions>(Options.DefaultName, configuration.GetSection(FailureDetectionDefaults.SectionName))));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterMembershipOptions>, ProbeTimeoutBoundsValidator>());
        services.AddOptions<ClusterMembershipOptions>().ValidateOnStart();
    }

    /// <summary>Reads <c>Cluster:Provider</c> (names only, case-insensitive), <c>ConnectionStrings:Redis</c> and Orleans' own endpoint keys.</summary>
    /// <remarks>
    /// The provider is parsed here rather than by the configuration binder, which would throw on an
    /// unknown name before the validator could say which names exist.
    /// </remarks>
    private static void ReadKeysOutsideTheSection(IConfiguration configuration, ClusteringOptions options)
    {
        var provider = configuration[ClusteringOptions.ProviderKey]?.Trim();
        if (!string.IsNullOrEmpty(provider))
        {
            var known = Enum.GetValues<ClusterProvider>()
                .Where(p => string.Equals(p.ToString(), provider, StringComparison.OrdinalIgnoreCase))
                .Select(p => (ClusterProvider?)p)
                .FirstOrDefault();
            options.Provider = known ?? options.Provider;
            options.UnrecognizedProvider = known is null ? provider : null;
        }

        if (configuration.GetConnectionString(ClusteringOptions.RedisConnectionStringName) is { Length: > 0 } redis)
        {
            options.RedisConnectionString = redis;
        }

        // Kubernetes sets this variable in every container; the executables read environment variables into their configuration.
        options.InKubernetesPod = !string.IsNullOrWhiteSpace(configuration[KubernetesServiceHostKey]);
        options.PodIP = configuration[PodIPKey]?.Trim();

        var endpoints = configuration.GetSection(ClusteringOptions.OrleansSectionName).GetSection("Endpoints");
        options.OrleansEndpoints = (endpoints["SiloPort"], endpoints["GatewayPort"], endpoints["AdvertisedIPAddress"]);
    }
}
