using AgentGrains.Grains;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.Storage.Hosting;
using AgentGrains.Storage.Orleans.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>Agent sessions on a real Orleans cluster in this process (Orleans' TestingHost), over a test's storage.</summary>
/// <remarks>
/// Every silo keeps its session journals, Orleans reminders and grain state in the test's database
/// (the SQLite file, or the PostgreSQL schema), so reminders outlive the silo that registered them.
/// Membership is the test cluster's own (in memory, on the first silo: kill only the others). Calls
/// go through the cluster's client, as a gateway's would.
/// </remarks>
public sealed class SessionCluster : IAsyncDisposable
{
    /// <summary>The shortest reminder period the test silos allow (Orleans' default is a minute).</summary>
    public static readonly TimeSpan MinimumReminderPeriod = TimeSpan.FromSeconds(1);

    private SessionCluster(InProcessTestCluster cluster) => Cluster = cluster;

    /// <summary>The Orleans test cluster.</summary>
    public InProcessTestCluster Cluster { get; }

    /// <summary>Grain references whose calls go through the cluster's client.</summary>
    public IGrainFactory Grains => Cluster.Client;

    /// <summary>Starts <paramref name="silos"/> silos over <paramref name="storage"/>.</summary>
    public static async Task<SessionCluster> StartAsync(
        StorageUnderTest storage,
        short silos = 1,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(storage.Settings);
            if (settings is not null)
            {
                host.Configuration.AddInMemoryCollection(settings);
            }

            host.Logging.SetMinimumLevel(LogLevel.Warning);
            services?.Invoke(host.Services);
        });
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAgentSessions();
            if (storage.Provider == "Sqlite")
            {
                silo.UseEmbeddedSqlite(MinimumReminderPeriod);
            }
            else
            {
                silo.UsePostgresStorage();
                silo.Configure<ReminderOptions>(static o => o.MinimumReminderPeriod = MinimumReminderPeriod);
            }
        });
        builder.ConfigureClient(static client => client.Services.AddSessionExceptions());
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return new SessionCluster(cluster);
    }

    /// <summary>The silo whose activation of <paramref name="grain"/> is live, or null when none is.</summary>
    public InProcessSiloHandle? SiloOf(IAddressable grain)
    {
        ArgumentNullException.ThrowIfNull(grain);
        return Cluster.TryGetGrainContext(grain.GetGrainId(), out var context) && context.Address.SiloAddress is { } silo ? Cluster.GetSiloForAddress(silo) : null;
    }

    /// <summary>A service of the first silo (e.g. its session journal).</summary>
    public T SiloService<T>()
        where T : notnull => Cluster.GetSiloServiceProvider().GetRequiredService<T>();

    /// <summary>Stops every silo gracefully, then releases the cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
