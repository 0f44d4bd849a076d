using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace AgentGrains.Storage.Orleans.Sqlite;

/// <summary>Keeps a silo's Orleans reminders and grain state in the embedded SQLite file (<c>Storage:Path</c>).</summary>
/// <remarks>
/// <para>
/// Both run on Orleans' own ADO.NET providers (Microsoft.Orleans.Reminders.AdoNet and
/// Microsoft.Orleans.Persistence.AdoNet) over Microsoft.Data.Sqlite, with the project's tables and
/// statements from migration <c>0006_orleans.sql</c>: the same providers the PostgreSQL cluster uses.
/// They bring the parts that are easy to get subtly wrong (choosing ring-range statements, ETag
/// comparison, serialization); the project only writes SQL to their contract instead of keeping a
/// second reminder table implementation of its own.
/// </para>
/// <para>
/// The file is migrated while the silo starts, before either provider reads it. Reminders and grain
/// state are keyed by <c>ClusterOptions.ServiceId</c>: keep it fixed across restarts, or the silo
/// will not find what it stored.
/// </para>
/// </remarks>
public static class SqliteSiloBuilderExtensions
{
    /// <summary>The grain storage name for <c>[PersistentState("name", GrainStorageName)]</c>; the default storage is the same.</summary>
    public const string GrainStorageName = "agentgrains";

    // The one ADO.NET storage instance behind both names, registered under its concrete type so it
    // is not itself a storage a grain can name (it would skip the grain-identity decorator).
    private const string InnerStorageKey = "agentgrains-sqlite";

    /// <summary>
    /// Keeps reminders and grain state (the default storage and <see cref="GrainStorageName"/>) in the
    /// SQLite file of <c>Storage:Path</c>.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="minimumReminderPeriod">
    /// The shortest reminder period grains may register (<c>ReminderOptions.MinimumReminderPeriod</c>);
    /// <see langword="null"/> keeps Orleans' default of one minute. Orleans logs a warning at start-up
    /// when it is under a minute.
    /// </param>
    /// <returns>The builder.</returns>
    public static ISiloBuilder UseEmbeddedSqlite(this ISiloBuilder builder, TimeSpan? minimumReminderPeriod = null)
    {
        return builder.UseSqliteReminderService(minimumReminderPeriod).AddSqliteGrainStorage();
    }

    /// <summary>Keeps Orleans reminders in the SQLite file of <c>Storage:Path</c>.</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="minimumReminderPeriod">See <see cref="UseEmbeddedSqlite"/>.</param>
    /// <returns>The builder.</returns>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder builder, TimeSpan? minimumReminderPeriod = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (minimumReminderPeriod < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumReminderPeriod), minimumReminderPeriod, "The minimum reminder period cannot be negative.");
        }

        var services = builder.Services;
        AddSqliteFile(services);
        services.UseAdoNetReminderService(options => options.Configure<SqliteOrleansDataSource>((reminders, dataSource) =>
        {
            reminders.Invariant = SqliteOrleansDataSource.Invariant;
            reminders.DataSource = dataSource;
        }));
        if (minimumReminderPeriod is { } period)
        {
            services.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = period);
        }

        return builder;
    }

    /// <summary>
    /// Keeps grain state in the SQLite file of <c>Storage:Path</c>, as the default grain storage and as
    /// <see cref="GrainStorageName"/>.
    /// </summary>
    /// <remarks>
    /// State is written as System.Text.Json (Orleans' <see cref="SystemTextJsonGrainStorageSerializer"/>)
    /// rather than the provider's default Newtonsoft JSON, which embeds assembly-qualified type names:
    /// a state type can be renamed or moved without orphaning stored rows. A state type therefore
    /// needs what System.Text.Json needs (public settable properties or public fields, or a
    /// constructor it can bind).
    /// </remarks>
    /// <param name="builder">The silo builder.</param>
    /// <returns>The builder.</returns>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        AddSqliteFile(services);
        services.AddOptions<AdoNetGrainStorageOptions>(InnerStorageKey)
            .Configure<SqliteOrleansDataSource, IOptions<SystemTextJsonGrainStorageSerializerOptions>>((storage, dataSource, json) =>
            {
                storage.Invariant = SqliteOrleansDataSource.Invariant;
                storage.DataSource = dataSource;
                storage.GrainStorageSerializer = new SystemTextJsonGrainStorageSerializer(json);
            });
        services.TryAddKeyedSingleton(InnerStorageKey, (sp, _) => AdoNetGrainStorageFactory.Create(sp, InnerStorageKey));
        // Its Init (at ApplicationServices) loads the statements; it only runs if it takes part in the lifecycle.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, InnerStorageParticipant>());
        foreach (var name in new[] { ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, GrainStorageName })
        {
            services.AddGrainStorage(name, (sp, _) => new GrainIdentityScopedStorage(sp.GetRequiredKeyedService<AdoNetGrainStorage>(InnerStorageKey)));
        }

        return builder;
    }

    /// <summary>Registers, once, the options, the data source and the start-up migration both providers share.</summary>
    private static void AddSqliteFile(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SqliteOrleansDataSource)))
        {
            return;
        }

        StorageOptionsRegistration.AddStorageOptions(services);
        // The container disposes it with the silo, which closes the pooled connections to the file.
        services.AddSingleton(sp => new SqliteOrleansDataSource(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SqliteSchemaMigration>();
    }

    private sealed class InnerStorageParticipant([FromKeyedServices(InnerStorageKey)] AdoNetGrainStorage storage) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) => storage.Participate(lifecycle);
    }
}
