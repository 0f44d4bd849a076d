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

    private readonly StorageUnderTest storage;
    private readonly short silos;
    private readonly Action<IServiceCollection>? services;
    private readonly IDictionary<string, string?>? settings;
    private readonly string serviceId;

    private SessionCluster(InProcessTestCluster cluster, StorageUnderTest storage, short silos, Action<IServiceCollection>? services, IDictionary<string, string?>? settings)
    {
        Cluster = cluster;
        this.storage = storage;
        this.silos = silos;
        this.services = services;
        this.settings = settings;
        serviceId = cluster.Options.ServiceId;
    }

    /// <summary>The Orleans test cluster (a new one after <see cref="RestartAsync"/>).</summary>
    public InProcessTestCluster Cluster { get; private set; }

    /// <summary>Grain references whose calls go through the cluster's client.</summary>
    public IGrainFactory Grains => Cluster.Client;

    /// <summary>Starts <paramref name="silos"/> silos over <paramref name="storage"/>.</summary>
    /// <param name="storage">The database every silo keeps its data in.</param>
    /// <param name="silos">How many silos to start; the first holds the test cluster's membership.</param>
    /// <param name="services">The test's services for every silo, registered after the agent sessions' own (so they may replace or remove them).</param>
    /// <param name="settings">Configuration for every silo, over the storage's settings.</param>
    public static async Task<SessionCluster> StartAsync(
        StorageUnderTest storage,
        short silos = 1,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var cluster = await DeployAsync(storage, silos, services, settings, serviceId: null);
        return new SessionCluster(cluster, storage, silos, services, settings);
    }

    /// <summary>Stops every silo gracefully, then starts the same number again over the same storage, services and settings.</summary>
    /// <remarks>
    /// A whole-cluster restart, as after a deployment: the new silos keep the service id, so they
    /// load the sessions' journals and fire the reminders the old silos registered. Grain references
    /// from <see cref="Grains"/> taken before the restart belong to the old client: take new ones.
    /// </remarks>
    public async Task RestartAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        Cluster = await DeployAsync(storage, silos, services, settings, serviceId);
    }

    private static async Task<InProcessTestCluster> DeployAsync(
        StorageUnderTest storage,
        short silos,
        Action<IServiceCollection>? services,
        IDictionary<string, string?>? settings,
        string? serviceId)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        if (serviceId is not null)
        {
            // Reminders and Orleans grain state are keyed by the service id (membership by the cluster id).
            builder.Options.ServiceId = serviceId;
        }

        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(storage.Settings);
            if (settings is not null)
            {
                host.Configuration.AddInMemoryCollection(settings);
            }

            host.Logging.SetMinimumLevel(LogLevel.Warning);
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

            // After the sessions' own registrations, as in a silo's Program: a test's model, agents
            // and tools add to them or replace them (the container returns the last registration).
            services?.Invoke(silo.Services);
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

        return cluster;
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
