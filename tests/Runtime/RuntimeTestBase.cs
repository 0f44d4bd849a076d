using AgentGrains.Runtime.Hosting;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime;

/// <summary>A test with its own SQLite file and a silo hosting the test grains.</summary>
public abstract class RuntimeTestBase : IDisposable
{
    protected TempDirectory Directory { get; } = new();

    protected string DatabasePath => Directory.File("grains.db");

    protected Task<TestSiloHost> StartSiloAsync(Probe probe, IDictionary<string, string?>? settings = null) =>
        TestSiloHost.StartAsync(
            DatabasePath,
            configure: static silo => silo.AddGrain<ICounterGrain, CounterGrain>(),
            settings: settings,
            services: s => s.AddSingleton(probe));

    public void Dispose()
    {
        Directory.Dispose();
        GC.SuppressFinalize(this);
    }
}
