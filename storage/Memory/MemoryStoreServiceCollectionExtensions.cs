using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Storage.Memory;

/// <summary>Adds long-term memory to a host.</summary>
public static class MemoryStoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IMemoryStore"/> on the storage named by the <c>Storage</c> configuration
    /// section: the session journal's SQLite file, or its PostgreSQL schema.
    /// </summary>
    /// <remarks>
    /// <para>The store is one singleton. It migrates its database before its first use, whether or
    /// not the journal has; the container disposes it (its pooled connections, its PostgreSQL data
    /// source).</para>
    /// <para><see cref="StorageOptions"/> are validated when the host starts. Calling this more than
    /// once adds nothing twice; an <see cref="IMemoryStore"/> registered before it is kept.</para>
    /// </remarks>
    public static IServiceCollection AddMemoryStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        StorageOptionsRegistration.AddStorageOptions(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMemoryStore>(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return options.Provider switch
            {
                StorageProvider.Sqlite => new SqliteMemoryStore(
                    options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SqliteMemoryStore>>()),
                StorageProvider.PostgreSQL => new PostgresMemoryStore(options, sp.GetRequiredService<ILogger<PostgresMemoryStore>>()),
                _ => throw new InvalidOperationException($"Storage:Provider '{options.Provider}' is not supported; set it to Sqlite or PostgreSQL."),
            };
        });
        return services;
    }
}
