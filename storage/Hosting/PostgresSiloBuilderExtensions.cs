using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace AgentGrains.Storage.Hosting;

/// <summary>Puts a silo's Orleans data (grain state, reminders and, if chosen, membership) in PostgreSQL.</summary>
/// <remarks>
/// <para>Everything comes from <see cref="StorageOptions"/>: <c>Storage:Provider</c> must be
/// <c>PostgreSQL</c>, the server is <c>ConnectionStrings:AgentGrains</c>, the tables live in
/// <c>Storage:Schema</c>. The silo creates and migrates that schema when it starts, before any provider
/// reads it, so silos of a new cluster can all start at once.</para>
/// <para>Grain state and reminders are keyed by <see cref="ClusterOptions.ServiceId"/>, membership by
/// <see cref="ClusterOptions.ClusterId"/>: two deployments sharing a schema and a ServiceId share grain
/// state and fire each other's reminders.</para>
/// </remarks>
public static class PostgresSiloBuilderExtensions
{
    /// <summary>The name the PostgreSQL grain storage is registered under, besides being the default.</summary>
    public const string GrainStorageName = "agentgrains";

    /// <summary>
    /// Stores grain state (the default provider, also named <see cref="GrainStorageName"/>) and reminders
    /// in PostgreSQL, through Orleans' ADO.NET providers.
    /// </summary>
    /// <remarks>
    /// State is written as System.Text.Json, so stored rows name no .NET types and survive renaming a
    /// state class; state types must therefore round-trip through System.Text.Json (public properties or
    /// fields, no polymorphism without converters). Clearing a state deletes its row.
    /// </remarks>
    public static ISiloBuilder UsePostgresStorage(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddMigration(builder.Services);
        builder.Services.AddAdoNetGrainStorage(GrainStorageName, static (OptionsBuilder<AdoNetGrainStorageOptions> options) => options
            .Configure<OrleansPostgres, IOptions<SystemTextJsonGrainStorageSerializerOptions>>(static (o, postgres, json) =>
            {
                o.Invariant = OrleansPostgres.Invariant;
                o.DataSource = postgres.DataSource;
                // The provider's default (Newtonsoft with assembly-qualified type names) breaks stored
                // rows when a state type is renamed or moved; the JSON options carry Orleans' converters
                // for grain references and addresses.
                o.GrainStorageSerializer = new SystemTextJsonGrainStorageSerializer(json);
                // A cleared state leaves no row behind (the default keeps one with a null payload).
                o.DeleteStateOnClear = true;
            }));

        // The same provider instance serves grains that name no storage: one set of queries, one init.
        builder.Services.AddKeyedSingleton<IGrainStorage>(
            ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME,
            static (sp, _) => sp.GetRequiredKeyedService<IGrainStorage>(GrainStorageName));
        builder.Services.AddSingleton<IGrainStorage>(static sp => sp.GetRequiredKeyedService<IGrainStorage>(GrainStorageName));

        builder.UseAdoNetReminderService(static (OptionsBuilder<AdoNetReminderTableOptions> options) => options
            .Configure<OrleansPostgres>(static (o, postgres) =>
            {
                o.Invariant = OrleansPostgres.Invariant;
                o.DataSource = postgres.DataSource;
            }));
        return builder;
    }

    /// <summary>Keeps the silo's cluster membership in PostgreSQL, through Orleans' ADO.NET clustering.</summary>
    /// <remarks>
    /// Optional: a silo may take membership from elsewhere (Redis, Kubernetes) and still keep its data in
    /// PostgreSQL. Clients of the cluster find its gateways with
    /// <see cref="PostgresClientBuilderExtensions.UsePostgresClustering"/>.
    /// </remarks>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddMigration(builder.Services);
        builder.UseAdoNetClustering(static (OptionsBuilder<AdoNetClusteringSiloOptions> options) => options
            .Configure<OrleansPostgres>(static (o, postgres) =>
            {
                o.Invariant = OrleansPostgres.Invariant;
                o.DataSource = postgres.DataSource;
            }));
        return builder;
    }

    private static void AddMigration(IServiceCollection services)
    {
        PostgresHostingServices.Add(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, PostgresSchemaMigration>());
    }
}
