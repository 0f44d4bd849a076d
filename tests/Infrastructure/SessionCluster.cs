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
using Orleans.Runtime.Placement;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>Agent sessions on a real Orleans cluster in this process (Orleans' TestingHost), over a test's storage.</summary>
/// <remarks>
/// Every silo keeps its session journals, Orleans reminders and grain state in the test's database
/// (the SQLite file, or the PostgreSQL schema), so reminders outlive the silo that registered them.
/// Membership is the test cluster's own (in memory, on the first silo: kill only the others). Calls
/// go through the cluster's client, as a gateway's would. <see cref="RestartAsync"/> takes the whole
/// cluster down and starts a new one over the same database and Orleans service id.
/// </remarks>
public sealed class SessionCluster : IAsyncDisposable
{
    /// <summary>The shortest reminder period the test silos allow (Orleans' default is a minute).</summary>
    public static readonly TimeSpan MinimumReminderPeriod = TimeSpan.FromSeconds(1);

    private readonly Setup setup;
    private bool released;

    private SessionCluster(InProcessTestCluster cluster, Setup setup)
    {
        Cluster = cluster;
        this.setup = setup;
    }

    /// <summary>The Orleans test cluster (a new one after <see cref="RestartInPlaceAsync"/>).</summary>
    public InProcessTestCluster Cluster { get; private set; }

    /// <summary>Grain references whose calls go through the cluster's client.</summary>
    public IGrainFactory Grains => Cluster.Client;

    /// <summary>Starts <paramref name="silos"/> silos over <paramref name="storage"/>.</summary>
    /// <param name="storage">Where sessions, reminders and grain state live.</param>
    /// <param name="silos">How many silos.</param>
    /// <param name="services">A test's services, registered after the sessions' own.</param>
    /// <param name="settings">Configuration laid over the storage's.</param>
    /// <param name="activityPropagation">Whether grain calls carry the caller's trace context (Orleans' <c>AddActivityPropagation()</c> on the silos and the client), as the executables' do.</param>
    public static Task<SessionCluster> StartAsync(
        StorageUnderTest storage,
        short silos = 1,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? settings = null,
        bool activityPropagation = false)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return StartAsync(new Setup(storage, silos, services, settings, activityPropagation), serviceId: null);
    }

    /// <summary>The Orleans service id: reminders and grain state are stored under it, so a cluster started with it owns them.</summary>
    public string ServiceId => Cluster.Options.ServiceId;

    private static async Task<SessionCluster> StartAsync(Setup setup, string? serviceId)
    {
        var (storage, silos, services, settings, activityPropagation) = setup;
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        if (serviceId is not null)
        {
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
            host.Logging.AddProvider(SecretWatch.LoggerProvider);
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

            if (activityPropagation)
            {
                silo.AddActivityPropagation();
            }

            // After the sessions' own registrations, as in a silo's Program: a test's model, agents
            // and tools add to them or replace them (the container returns the last registration).
            services?.Invoke(silo.Services);
        });
        builder.ConfigureClient(client =>
        {
            client.Services.AddSessionExceptions();
            if (activityPropagation)
            {
                client.AddActivityPropagation();
            }
        });
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

        return new SessionCluster(cluster, setup);
    }

    /// <summary>Takes the whole cluster down, every silo stopped gracefully or all killed at once, and starts a new cluster over the same database.</summary>
    /// <param name="graceful">Stop the silos gracefully (their activations deactivate); false kills them all at once.</param>
    /// <param name="silos">Silos of the new cluster; as many as this one started with when null.</param>
    /// <param name="whileDown">Runs once the last silo is gone and before the first new one starts (to note what the old silos did, or release what they waited for).</param>
    /// <returns>The new cluster: the same storage, services, settings and service id (so it owns this one's reminders).</returns>
    /// <remarks>Grain references from this cluster's <see cref="Grains"/> are dead afterwards; take new ones from the new cluster.</remarks>
    public async Task<SessionCluster> RestartAsync(bool graceful, short? silos = null, Action? whileDown = null)
    {
        await ReleaseAsync(graceful);
        whileDown?.Invoke();
        return await StartAsync(setup with { Silos = silos ?? setup.Silos }, ServiceId);
    }

    /// <summary>Stops every silo gracefully and starts as many again over the same database and service id, in this object: <see cref="Cluster"/> and <see cref="Grains"/> are the new cluster's afterwards.</summary>
    /// <remarks>As after a deployment: the new silos load the sessions' journals and fire the reminders the old ones registered. Grain references taken before belong to the old client: take new ones.</remarks>
    public async Task RestartInPlaceAsync()
    {
        var restarted = await RestartAsync(graceful: true);
        Cluster = restarted.Cluster;
        released = false;
    }

    /// <summary>Makes <paramref name="firstCall"/> activate <paramref name="grain"/> on <paramref name="silo"/> (an Orleans placement hint in the request context).</summary>
    /// <exception cref="InvalidOperationException">The grain was active elsewhere already, so the hint did not apply.</exception>
    public async Task<T> ActivateOnAsync<T>(InProcessSiloHandle silo, IAddressable grain, Func<Task<T>> firstCall)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(grain);
        ArgumentNullException.ThrowIfNull(firstCall);
        T result;
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo.SiloAddress);
        try
        {
            result = await firstCall();
        }
        finally
        {
            // Only the first call: calls a grain makes while handling it would carry the hint on.
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }

        var placed = SiloOf(grain);
        return placed?.SiloAddress == silo.SiloAddress
            ? result
            : throw new InvalidOperationException($"{grain.GetGrainId()} was to be activated on silo {silo.SiloAddress} but is on {placed?.SiloAddress.ToString() ?? "no silo"}; was it active already?");
    }

    /// <summary>Whether the reminders of <paramref name="grain"/> are in <paramref name="silo"/>'s range of the consistent ring (that silo's reminder service ticks them).</summary>
    /// <remarks>Orleans keeps its ring provider internal; it is read by reflection, and a test fails loudly if that ever breaks.</remarks>
    public static bool HoldsRemindersOf(InProcessSiloHandle silo, IAddressable grain)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(grain);
        const string RingProvider = "Orleans.Runtime.ConsistentRing.IConsistentRingProvider";
        var type = typeof(Silo).Assembly.GetType(RingProvider, throwOnError: true)!;
        var ring = silo.SiloHost.Services.GetRequiredService(type);
        var range = type.GetMethod("GetMyRange")?.Invoke(ring, null) as IRingRange
            ?? throw new InvalidOperationException($"{RingProvider}.GetMyRange() is gone; find another way to tell which silo holds a reminder.");
        return range.InRange(grain.GetGrainId());
    }

    /// <summary>The silo whose activation of <paramref name="grain"/> is live, or null when none is.</summary>
    public InProcessSiloHandle? SiloOf(IAddressable grain)
    {
        ArgumentNullException.ThrowIfNull(grain);
        return Cluster.TryGetGrainContext(grain.GetGrainId(), out var context) && context.Address.SiloAddress is { } silo ? Cluster.GetSiloForAddress(silo) : null;
    }

    /// <summary>A service of the first silo (e.g. its session journal).</summary>
    /// <remarks>The first silo is never killed by the tests (it holds the test cluster's membership), so its services outlive the others.</remarks>
    public T SiloService<T>()
        where T : notnull => Cluster.GetSiloServiceProvider(Cluster.Silos[0].SiloAddress).GetRequiredService<T>();

    /// <summary>Stops every silo gracefully, then releases the cluster (nothing when <see cref="RestartAsync"/> did already).</summary>
    public ValueTask DisposeAsync() => new(ReleaseAsync(graceful: true));

    private async Task ReleaseAsync(bool graceful)
    {
        if (released)
        {
            return;
        }

        released = true;
        if (graceful)
        {
            await Cluster.StopAllSilosAsync();
        }
        else
        {
            // All at once: a silo still running while the others die would take their sessions over.
            await Task.WhenAll(Cluster.Silos.ToList().Select(Cluster.KillSiloAsync));
            await Cluster.StopClusterClientAsync();
        }

        await Cluster.DisposeAsync();
    }

    /// <summary>What a cluster was started with, for a restart over the same database.</summary>
    private sealed record Setup(StorageUnderTest Storage, short Silos, Action<IServiceCollection>? Services, IDictionary<string, string?>? Settings, bool ActivityPropagation);
}
