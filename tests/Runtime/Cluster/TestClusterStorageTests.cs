using AgentGrains.Runtime.Testing;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime.Cluster;

/// <summary>Where a <see cref="TestCluster"/> keeps its data when the test does not give it storage.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class TestClusterStorageTests
{
    [Fact]
    public async Task DefaultStorage_NewSqliteFile_SilosShareItsGrains()
    {
        var probe = new ClusterProbe();
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            ConfigureSilo = static s => s.AddGrain<IClusterCounterGrain, ClusterCounterGrain>(),
            ConfigureServices = s => s.AddSingleton(probe),
        });
        var (first, second) = (cluster.Silos[0], cluster.Silos[1]);

        Assert.Equal(1, await first.GrainFactory.GetGrain<IClusterCounterGrain>("default").IncrementAsync(0));
        Assert.Equal(2, await second.GrainFactory.GetGrain<IClusterCounterGrain>("default").IncrementAsync(1));

        Assert.Equal(first.Silo.SiloId, await second.GrainFactory.GetGrain<IClusterCounterGrain>("default").GetSiloAsync());
        Assert.Empty(probe.Violations);
    }

    [Fact]
    public async Task StartAsync_DatabasePathAndStorageSettings_Refused()
    {
        using var directory = new TempDirectory();
        var options = new TestClusterOptions
        {
            DatabasePath = directory.File("cluster.db"),
            StorageSettings = new Dictionary<string, string?> { ["Storage:Path"] = directory.File("other.db") },
        };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => TestCluster.StartAsync(options));

        Assert.Contains("not both", refused.Message, StringComparison.Ordinal);
    }
}
