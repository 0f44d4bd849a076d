using AgentGrains.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Runtime.Testing;

/// <summary>Several silos in one process over one database, for testing grains and failures.</summary>
/// <remarks>
/// <para>The silos share one database and signal each other, so calls made through any silo reach
/// the grain's single activation wherever it is. The database is a new SQLite file, unless
/// <see cref="TestClusterOptions.DatabasePath"/> names one or
/// <see cref="TestClusterOptions.StorageSettings"/> gives another storage (e.g. a PostgreSQL
/// schema). Silos can be stopped gracefully (<see cref="StopSiloAsync"/>), killed as a crash
/// would (<see cref="KillSiloAsync"/>: no release, heartbeats stop, the others take over after
/// <c>Silo:DeathTimeout</c>) and added (<see cref="StartSiloAsync"/>).</para>
/// </remarks>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions options;
    private readonly IReadOnlyDictionary<string, string?> storageSettings;
    private readonly string? ownedDirectory;
    private readonly List<TestSilo> silos = [];
    private readonly List<TestSilo> clients = [];
    private int started;

    private TestCluster(TestClusterOptions options)
    {
        this.options = options;
        if (options.StorageSettings is { } storage)
        {
            // A copy: the options may be changed or reused after the cluster started.
            storageSettings = new Dictionary<string, string?>(storage, StringComparer.OrdinalIgnoreCase);
            return;
        }

        var path = options.DatabasePath;
        if (path is null)
        {
            ownedDirectory = Path.Combine(Path.GetTempPath(), "agentgrains-testcluster", Guid.NewGuid().ToString("N"));
            path = Path.Combine(ownedDirectory, "cluster.db");
        }

        storageSettings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:Path"] = path,
            // Tests read their own writes at once; durability on power loss is not what they check.
            ["Storage:FlushEachCommit"] = "false",
        };
    }

    /// <summary>The silos started and not yet stopped or killed, in start order.</summary>
    public IReadOnlyList<TestSilo> Silos
    {
        get
        {
            lock (silos)
            {
                return [.. silos];
            }
        }
    }

    /// <summary>Grain references whose calls enter through the first running silo.</summary>
    public IGrainFactory Client => Silos.Count > 0 ? Silos[0].GrainFactory : throw new InvalidOperationException("The cluster has no running silo.");

    /// <summary>Starts a cluster of <see cref="TestClusterOptions.InitialSilos"/> silos.</summary>
    public static async Task<TestCluster> StartAsync(TestClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.StorageSettings is not null && options.DatabasePath is not null)
        {
            throw new ArgumentException("Set TestClusterOptions.DatabasePath or StorageSettings, not both.", nameof(options));
        }

        var cluster = new TestCluster(options);
        for (var i = 0; i < options.InitialSilos; i++)
        {
            await cluster.StartSiloAsync().ConfigureAwait(false);
        }

        return cluster;
    }

    /// <summary>Starts one more silo.</summary>
    public Task<TestSilo> StartSiloAsync() => StartNodeAsync(hostsGrains: true);

    /// <summary>Starts a client node: it hosts no grains and joins no membership; its calls go to the silos, as a standalone gateway's do.</summary>
    public async Task<TestSilo> StartClientAsync()
    {
        var client = await StartNodeAsync(hostsGrains: false).ConfigureAwait(false);
        lock (silos)
        {
            silos.Remove(client);
            clients.Add(client);
        }

        return client;
    }

    private async Task<TestSilo> StartNodeAsync(bool hostsGrains)
    {
        var number = Interlocked.Increment(ref started) - 1;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(storageSettings);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Distinct addresses: a silo registering at another's address would declare it dead.
            ["Silo:Address"] = $"test-silo-{number}",
        });
        builder.Configuration.AddInMemoryCollection(options.Settings);
        builder.Logging.ClearProviders();
        var siloBuilder = builder.Services.AddAgentGrainsSilo();
        if (hostsGrains)
        {
            options.ConfigureSilo?.Invoke(siloBuilder);
        }

        options.ConfigureServices?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var silo = new TestSilo(host, number);
        lock (silos)
        {
            silos.Add(silo);
        }

        return silo;
    }

    /// <summary>Stops a silo gracefully: turns in flight finish, grains are released, the silo deregisters.</summary>
    public async Task StopSiloAsync(TestSilo silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        Remove(silo);
        await silo.Host.StopAsync().ConfigureAwait(false);
        silo.Host.Dispose();
    }

    /// <summary>Kills a silo as a crash would: nothing more is written or released and its heartbeats stop.</summary>
    public async Task KillSiloAsync(TestSilo silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        Remove(silo);
        await silo.Silo.KillAsync().ConfigureAwait(false);
        silo.Host.Dispose();
    }

    /// <summary>Stops every silo and deletes the database if the cluster created it (the default SQLite file only).</summary>
    public async ValueTask DisposeAsync()
    {
        List<TestSilo> nodes;
        lock (silos)
        {
            nodes = [.. clients, .. silos];
            clients.Clear();
        }

        foreach (var node in nodes)
        {
            await StopSiloAsync(node).ConfigureAwait(false);
        }

        if (ownedDirectory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(ownedDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the temp folder is cleaned by the OS otherwise.
            }
        }
    }

    private void Remove(TestSilo silo)
    {
        lock (silos)
        {
            silos.Remove(silo);
        }
    }
}
