using AgentGrains.Storage.Hosting;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Storage.Hosting;

/// <summary>Orleans' TestCluster with every silo on PostgreSQL: real membership, grain state and reminders.</summary>
/// <remarks>
/// TestCluster's own in-memory membership is turned off, so silos find each other through the
/// membership table and the client through its gateway rows. Every cluster gets its own ClusterId and
/// ServiceId, so tests sharing a schema never see each other's silos, state or reminders.
/// </remarks>
public static class PostgresTestCluster
{
    public static TestCluster Build(StorageUnderTest storage, short silos, Action<TestClusterBuilder>? configure = null)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConfigureFileLogging = false;
        foreach (var (key, value) in storage.Settings)
        {
            builder.Properties[key] = value;
        }

        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>Waits until every given silo sees all of them Active in the membership table.</summary>
    public static Task WaitUntilAllActiveAsync(TestCluster cluster, TimeSpan timeout)
    {
        var expected = cluster.Silos.Select(s => s.SiloAddress).ToHashSet();
        return Eventually.TrueAsync(
            async () =>
            {
                var hosts = await cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
                return expected.All(hosts.ContainsKey);
            },
            timeout,
            $"the management grain lists all {expected.Count} silos ({string.Join(", ", expected)}) as Active");
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.UsePostgresClustering().UsePostgresStorage();
            // A reminder ticking every second keeps the reminder tests short.
            siloBuilder.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            // The small-cluster settings measured in ORLEANS-NOTES: a killed silo is declared dead in
            // about a second and every silo's view of the table is at most two seconds old.
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            });
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.UsePostgresClustering();
    }
}
