using AgentGrains.Storage.Hosting;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Storage.Hosting;

/// <summary>Silos and clients creating the providers' schema themselves, each test on a schema of its own.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Postgres")]
public sealed class PostgresMigrationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartSilos_ThreeOnFreshSchemaAtOnce_AllJoinAndEachScriptAppliedOnce()
    {
        await using var storage = StorageUnderTest.Postgres();
        await storage.InitializeAsync();
        // TestCluster starts its initial silos in parallel: three migrators race for one empty schema.
        await using var cluster = PostgresTestCluster.Build(storage, silos: 3);

        await cluster.DeployAsync(Ct);

        await PostgresTestCluster.WaitUntilAllActiveAsync(cluster, Timeout);
        Assert.Equal(7L, await storage.ScalarAsync("SELECT count(*) FROM schema_version"));
        Assert.Equal(7, await storage.ScalarAsync("SELECT max(version) FROM schema_version"));
    }

    [Fact]
    public async Task StartClient_BeforeAnySilo_MigratesAndConnectsOnceASiloJoins()
    {
        await using var storage = StorageUnderTest.Postgres();
        await storage.InitializeAsync();
        var clusterId = TestClusterBuilder.CreateClusterId();
        var serviceId = Guid.NewGuid().ToString("N");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(storage.Settings);
        builder.UseOrleansClient(client => client
            .UsePostgresClustering()
            .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, serviceId))
            // A standalone gateway waits for the cluster: retry until a silo's gateway appears.
            .UseConnectionRetryFilter(static async (_, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
                return true;
            }));
        using var clientHost = builder.Build();
        using var startBound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        startBound.CancelAfter(Timeout);

        var clientStart = clientHost.StartAsync(startBound.Token);

        await Eventually.TrueAsync(
            async () => await storage.ScalarAsync("SELECT to_regclass('orleansquery') IS NOT NULL") is true,
            Timeout,
            "the client, with no silo running, has created the providers' tables");
        Assert.False(clientStart.IsCompleted, "the client must not finish starting before any silo runs");

        await using var cluster = PostgresTestCluster.Build(storage, silos: 1, cluster =>
        {
            cluster.Options.ClusterId = clusterId;
            cluster.Options.ServiceId = serviceId;
            cluster.Options.InitializeClientOnDeploy = false;
            // A client outside the test cluster reaches its silo over TCP, not the cluster's in-memory transport.
            cluster.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        });
        await cluster.DeployAsync(Ct);

        await clientStart.WaitAsync(Timeout, Ct);
        var grain = clientHost.Services.GetRequiredService<IClusterClient>().GetGrain<ICounterGrain>(Guid.NewGuid().ToString("N"));
        Assert.Equal(1, await grain.AddAsync(1));
        await clientHost.StopAsync(Ct);
    }
}
