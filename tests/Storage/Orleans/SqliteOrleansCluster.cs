using AgentGrains.Storage.Orleans.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Storage.Orleans;

/// <summary>An in-process Orleans cluster whose reminders and grain state live in one SQLite file.</summary>
/// <remarks>
/// Two clusters started one after the other over the same file and service id are a full restart:
/// every silo of the first is stopped, and the second knows only what the file holds.
/// </remarks>
internal sealed class SqliteOrleansCluster : IAsyncDisposable
{
    /// <summary>The reminder period the tests' silos allow; Orleans' default minimum is a minute.</summary>
    public static readonly TimeSpan MinimumReminderPeriod = TimeSpan.FromSeconds(1);

    private readonly InProcessTestCluster cluster;

    private SqliteOrleansCluster(InProcessTestCluster cluster, ReminderTickLog ticks)
    {
        this.cluster = cluster;
        Ticks = ticks;
    }

    /// <summary>Every reminder tick the cluster's grains received.</summary>
    public ReminderTickLog Ticks { get; }

    public IClusterClient Client => cluster.Client;

    public IServiceProvider SiloServices => cluster.GetSiloServiceProvider();

    public static async Task<SqliteOrleansCluster> StartAsync(string databasePath, string serviceId, short silos = 1)
    {
        var ticks = new ReminderTickLog();
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.Options.ConfigureFileLogging = false;
        // Through configuration, as the silo executable sets it (Storage:Path in appsettings.json).
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["Storage:Path"] = databasePath, ["Storage:FlushEachCommit"] = "false" }));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseEmbeddedSqlite(MinimumReminderPeriod);
            silo.Services.AddSingleton(ticks);
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

        return new SqliteOrleansCluster(cluster, ticks);
    }

    public Task DeactivateAsync(IAddressable grain) => cluster.DeactivateAsync(grain);

    /// <summary>Stops every silo gracefully, then releases the cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }
}
