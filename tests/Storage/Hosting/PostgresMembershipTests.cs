using Orleans.TestingHost;

namespace AgentGrains.Tests.Storage.Hosting;

/// <summary>Silos on Orleans' ADO.NET membership over the project's PostgreSQL schema.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Postgres")]
public sealed class PostgresMembershipTests(PostgresSchemaFixture schema) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Deploy_TwoSilosOnPostgresMembership_BothActiveInOneCluster()
    {
        // The test cluster's client finds its gateway through the same table.
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 2);
        await cluster.DeployAsync(TestContext.Current.CancellationToken);

        await PostgresTestCluster.WaitUntilAllActiveAsync(cluster, Timeout);
        var rows = await schema.Storage.ScalarAsync(
            $"SELECT count(*) FROM orleans_membership WHERE cluster_id = '{cluster.Options.ClusterId}' AND status = 3 AND proxy_port > 0");
        Assert.Equal(2L, rows);
    }
}
