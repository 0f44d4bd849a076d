using AgentGrains.Runtime.Activations;
using AgentGrains.Runtime.Cluster;
using AgentGrains.Runtime.Membership;
using AgentGrains.Runtime.Storage;
using AgentGrains.Runtime.Storage.Postgres;
using AgentGrains.Runtime.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Runtime.Hosting;

/// <summary>Adds a silo to a host.</summary>
public static class SiloServiceCollectionExtensions
{
    /// <summary>
    /// Adds a silo (a hosted service), its storage provider and <see cref="IGrainFactory"/>, configured
    /// from the <c>Silo</c> and <c>Storage</c> configuration sections.
    /// </summary>
    public static ISiloBuilder AddAgentGrainsSilo(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.SectionName).ValidateOnStart();
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .Configure<IConfiguration>(static (options, configuration) =>
            {
                // Connection strings live under ConnectionStrings, where hosting tools (and environment
                // variables such as ConnectionStrings__AgentGrains) put them.
                var connectionString = configuration.GetConnectionString(StorageOptions.ConnectionStringName);
                if (!string.IsNullOrWhiteSpace(connectionString))
                {
                    options.ConnectionString = connectionString;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SiloOptions>, SiloOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IGrainStorage>(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return options.Provider switch
            {
                StorageProvider.Sqlite => new SqliteGrainStorage(options, sp.GetRequiredService<ILogger<SqliteGrainStorage>>()),
                StorageProvider.PostgreSQL => new PostgresGrainStorage(options, sp.GetRequiredService<ILogger<PostgresGrainStorage>>()),
                _ => throw new InvalidOperationException($"Storage:Provider '{options.Provider}' is not supported."),
            };
        });
        services.TryAddSingleton(static sp => (IMembershipStorage)sp.GetRequiredService<IGrainStorage>());
        services.TryAddSingleton<IClusterSignals>(static sp => sp.GetRequiredService<IGrainStorage>() switch
        {
            SqliteGrainStorage sqlite => new InProcessClusterSignals(sqlite.FilePath),
            PostgresGrainStorage postgres => new PostgresClusterSignals(postgres.DataSource, postgres.ClusterScope, sp.GetRequiredService<ILogger<PostgresClusterSignals>>()),
            var other => throw new InvalidOperationException($"No cluster signals for storage {other.GetType().Name}."),
        });
        services.TryAddSingleton<IClusterMembership, ClusterMembership>();
        services.TryAddSingleton(static sp => new Silo(
            sp,
            sp.GetRequiredService<IOptions<SiloOptions>>(),
            sp.GetRequiredService<IGrainStorage>(),
            sp.GetRequiredService<IClusterSignals>(),
            sp.GetServices<GrainRegistration>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<Silo>>()));
        services.AddHostedService(static sp => sp.GetRequiredService<Silo>());
        services.TryAddSingleton(static sp => sp.GetRequiredService<Silo>().GrainFactory);
        return new SiloBuilder(services);
    }

    private sealed class SiloBuilder(IServiceCollection services) : ISiloBuilder
    {
        public IServiceCollection Services { get; } = services;

        public ISiloBuilder AddGrain<TInterface, TGrain>()
            where TInterface : IGrainWithStringKey
            where TGrain : Grain, TInterface
        {
            Services.AddSingleton(new GrainRegistration(typeof(TInterface), typeof(TGrain)));
            return this;
        }
    }
}
