using AgentGrains.Runtime;
using AgentGrains.Runtime.Testing;

namespace AgentGrains.Tests.Runtime.Cluster;

[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class ClientNodeTests
{
    [Fact]
    public async Task ClientNode_NoSiloRunning_CallsFailAsUnavailable()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 0 });
        var client = await cluster.StartClientAsync();
        var grain = client.GrainFactory.GetGrain<IClusterCounterGrain>("nobody-home");

        var durable = await Assert.ThrowsAsync<SiloUnavailableException>(() => grain.IncrementAsync(1));
        var readOnly = await Assert.ThrowsAsync<SiloUnavailableException>(grain.GetAsync);

        Assert.True(durable.IsTransient);
        Assert.Contains("cluster-counter/nobody-home", readOnly.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.Silo.ActivationCount);
    }
}
