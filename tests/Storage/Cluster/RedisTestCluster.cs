using AgentGrains.Tests.ClusterSilo;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace AgentGrains.Tests.Storage.Cluster;

/// <summary>
/// Silos (each its own process) and a client of Orleans' <see cref="TestCluster"/> that find each
/// other only through what <c>UseAgentGrainsClustering</c> makes of <c>Cluster:Provider = Redis</c>,
/// in the shared test Redis.
/// </summary>
/// <remarks>
/// <para>The test cluster's own membership is off. Each silo is an <c>AgentGrains.Tests.ClusterSilo</c>
/// process talking TCP, so <see cref="TestCluster.KillSiloAsync(SiloHandle)"/> is a SIGKILL: the silo
/// neither writes its death into the table nor answers probes, and its peers must detect it. (An
/// in-process silo killed by the test cluster still runs its shutdown and writes itself Dead;
/// <see cref="InProcessTestClusterBuilder"/> cannot even turn its in-memory membership off in Orleans 10.4.2.)</para>
/// <para>Each cluster has its own ids, hence its own Redis key.</para>
/// </remarks>
public sealed class RedisTestCluster : IAsyncDisposable
{
    private RedisTestCluster(TestCluster cluster, string redis)
    {
        Cluster = cluster;
        RedisConnectionString = redis;
    }

    /// <summary>The running test cluster.</summary>
    public TestCluster Cluster { get; }

    /// <summary>The Redis server holding the membership table.</summary>
    public string RedisConnectionString { get; }

    /// <summary>The Redis key of this cluster's membership table, as Orleans' Redis clustering names it.</summary>
    public RedisKey MembershipKey => RedisClusteringOptions.DefaultCreateRedisKey(new ClusterOptions
    {
        ClusterId = Cluster.Options.ClusterId,
        ServiceId = Cluster.Options.ServiceId,
    });

    /// <summary>Starts <paramref name="silos"/> silo processes and a client in this process.</summary>
    public static async Task<RedisTestCluster> StartAsync(short silos)
    {
        var redis = await RedisServer.GetAsync();
        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConfigureFileLogging = false;
        // The test cluster already writes Orleans:ClusterId and Orleans:ServiceId (unique per cluster) into this configuration.
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Provider"] = "Redis",
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
        }));
        // The test cluster switches silos to Orleans' experimental distributed grain directory; AgentGrains
        // silos run the default one, and a death test should exercise what production runs.
        builder.Options.SiloBuilderConfiguratorTypes.RemoveAll(t => t?.Contains("ConfigureDistributedGrainDirectory", StringComparison.Ordinal) == true);
        builder.AddSiloBuilderConfigurator<AgentGrainsClusteringSilo>();
        builder.AddClientBuilderConfigurator<AgentGrainsClusteringClient>();
        // Setting this also switches the test cluster to TCP.
        builder.CreateSiloAsync = StandaloneSiloHandle.CreateForAssembly(typeof(AgentGrainsClusteringSilo).Assembly);

        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return new RedisTestCluster(cluster, redis.ConnectionString);
    }

    /// <summary>Stops the cluster and deletes its membership table, which would otherwise stay in a shared <c>AGENTGRAINS_TEST_REDIS</c>.</summary>
    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionString);
        await redis.GetDatabase().KeyDeleteAsync(MembershipKey);
    }
}
