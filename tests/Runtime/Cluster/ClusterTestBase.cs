using AgentGrains.Runtime.Testing;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime.Cluster;

/// <summary>A test with its own storage and test clusters of counter grains over it, with fast heartbeats.</summary>
public abstract class ClusterTestBase(StorageUnderTest storage) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts <paramref name="silos"/> silos hosting <see cref="ClusterCounterGrain"/>, sharing <paramref name="probe"/>; heartbeats every 200 ms, dead after 2 s.</summary>
    protected Task<TestCluster> StartClusterAsync(ClusterProbe probe, int silos = 3, Dictionary<string, string?>? settings = null)
    {
        var options = new TestClusterOptions
        {
            InitialSilos = silos,
            StorageSettings = storage.Settings,
            ConfigureSilo = static s => s.AddGrain<IClusterCounterGrain, ClusterCounterGrain>(),
            ConfigureServices = s => s.AddSingleton(probe),
            Settings =
            {
                ["Silo:HeartbeatInterval"] = "00:00:00.200",
                ["Silo:DeathTimeout"] = "00:00:02",
            },
        };
        foreach (var (key, value) in settings ?? [])
        {
            options.Settings[key] = value;
        }

        return TestCluster.StartAsync(options);
    }
}
