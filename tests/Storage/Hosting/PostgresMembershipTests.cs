using System.Net;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Storage.Hosting;

/// <summary>Silos on Orleans' ADO.NET membership over the project's PostgreSQL schema.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Postgres")]
public sealed class PostgresMembershipTests(PostgresSchemaFixture schema) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deploy_TwoSilosOnPostgresMembership_BothActiveInOneCluster()
    {
        // The test cluster's client finds its gateway through the same table.
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 2);
        await cluster.DeployAsync(Ct);

        await PostgresTestCluster.WaitUntilAllActiveAsync(cluster, Timeout);
        var rows = await schema.Storage.ScalarAsync(
            $"SELECT count(*) FROM orleans_membership WHERE cluster_id = '{cluster.Options.ClusterId}' AND status = 3 AND proxy_port > 0");
        Assert.Equal(2L, rows);
    }

    [Fact]
    public async Task CleanupDefunctSiloEntries_DeadSiloPastCutoff_OnlyItsRowDeleted()
    {
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 1);
        await cluster.DeployAsync(Ct);
        var table = cluster.GetSiloServiceProvider().GetRequiredService<IMembershipTable>();
        var live = cluster.Silos[0].SiloAddress;
        var longAgo = DateTime.UtcNow.AddDays(-1);
        var dead = new MembershipEntry
        {
            SiloAddress = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1), 1),
            SiloName = "gone",
            HostName = "gone",
            Status = SiloStatus.Dead,
            StartTime = longAgo,
            IAmAliveTime = longAgo,
        };
        // Written as Orleans writes: read the table version, write at the next one, retry if another
        // change got there first. The update stores the old death vote, which the cleanup compares.
        await Eventually.TrueAsync(
            async () => await table.InsertRowAsync(dead, (await table.ReadAllAsync(Ct)).Version.Next(), Ct),
            Timeout,
            "the dead silo's row is inserted");
        dead.SuspectTimes = [Tuple.Create(live, longAgo)];
        await Eventually.TrueAsync(
            async () =>
            {
                var snapshot = await table.ReadAllAsync(Ct);
                return await table.UpdateRowAsync(dead, snapshot.Version.VersionEtag, snapshot.Version.Next(), Ct);
            },
            Timeout,
            "the dead silo's row records its death vote");
        var rows = $"SELECT count(*) FROM orleans_membership WHERE cluster_id = '{cluster.Options.ClusterId}'";
        Assert.Equal(2L, await schema.Storage.ScalarAsync(rows));

        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddHours(-1), Ct);

        Assert.Equal(1L, await schema.Storage.ScalarAsync(rows));
        Assert.Equal(1L, await schema.Storage.ScalarAsync($"{rows} AND status = 3 AND port = {live.Endpoint.Port}"));
    }
}
