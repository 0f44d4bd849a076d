using AgentGrains.Runtime;
using AgentGrains.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>One silo in a generic host over a test's storage, for runtime and grain tests.</summary>
public sealed class TestSiloHost : IAsyncDisposable
{
    private readonly IHost host;
    private bool stopped;

    private TestSiloHost(IHost host)
    {
        this.host = host;
        Silo = host.Services.GetRequiredService<Silo>();
    }

    public Silo Silo { get; }

    public IGrainFactory Grains => Silo.GrainFactory;

    public IServiceProvider Services => host.Services;

    /// <summary>Starts a silo over a SQLite file.</summary>
    public static Task<TestSiloHost> StartAsync(
        string databasePath,
        Action<ISiloBuilder>? configure = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null) =>
        StartAsync(
            new Dictionary<string, string?>
            {
                ["Storage:Path"] = databasePath,
                // Tests read their own writes at once; durability on power loss is not what they check.
                ["Storage:FlushEachCommit"] = "false",
            },
            configure,
            settings,
            services);

    /// <summary>Starts a silo over a test's storage (SQLite or PostgreSQL).</summary>
    public static Task<TestSiloHost> StartAsync(
        StorageUnderTest storage,
        Action<ISiloBuilder>? configure = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return StartAsync(storage.Settings, configure, settings, services);
    }

    private static async Task<TestSiloHost> StartAsync(
        IEnumerable<KeyValuePair<string, string?>> storageSettings,
        Action<ISiloBuilder>? configure,
        IDictionary<string, string?>? settings,
        Action<IServiceCollection>? services)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(storageSettings);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var silo = builder.Services.AddAgentGrainsSilo();
        configure?.Invoke(silo);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new TestSiloHost(host);
    }

    /// <summary>Stops gracefully: turns in flight finish, grains are released.</summary>
    public async Task StopAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await host.StopAsync();
        }
    }

    /// <summary>Stops as a crash would: nothing more is written or released.</summary>
    public async Task KillAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await Silo.KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        host.Dispose();
    }
}
