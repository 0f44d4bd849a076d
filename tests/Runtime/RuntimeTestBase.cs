using AgentGrains.Runtime.Hosting;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime;

/// <summary>A test with its own storage (a SQLite file unless a subclass picks another) and a silo hosting the test grains.</summary>
public abstract class RuntimeTestBase : IAsyncLifetime
{
    protected RuntimeTestBase()
        : this(StorageUnderTest.Sqlite())
    {
    }

    protected RuntimeTestBase(StorageUnderTest storage) => Storage = storage;

    /// <summary>The test's database; every silo the test starts uses it.</summary>
    protected StorageUnderTest Storage { get; }

    protected Task<TestSiloHost> StartSiloAsync(Probe probe, IDictionary<string, string?>? settings = null) =>
        TestSiloHost.StartAsync(
            Storage,
            configure: static silo => silo.AddGrain<ICounterGrain, CounterGrain>(),
            settings: settings,
            services: s => s.AddSingleton(probe));

    public ValueTask InitializeAsync() => new(Storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await Storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
