using AgentGrains.Storage.Journal.Postgres;
using AgentGrains.Storage.Journal.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Storage.Journal;

/// <summary>Adds the session journal to a host.</summary>
public static class SessionJournalServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ISessionJournal"/> on the storage named by the <c>Storage</c> configuration
    /// section (SQLite by default, or PostgreSQL with <c>ConnectionStrings:AgentGrains</c>).
    /// </summary>
    /// <remarks>
    /// <para>The journal is one singleton: its writer batches the commits of every session of the
    /// process, which only works if there is one. It opens and migrates its database once, before
    /// its first use, and again while the host starts (so a bad setting fails the start); the
    /// container disposes it, after the host's services have stopped, once its queued commits have
    /// landed.</para>
    /// <para><see cref="StorageOptions"/> are validated when the host starts; each problem is named
    /// with its fix. Calling this more than once adds nothing twice; an <see cref="ISessionJournal"/>
    /// registered before it is kept.</para>
    /// </remarks>
    public static IServiceCollection AddSessionJournal(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        StorageOptionsRegistration.AddStorageOptions(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISessionJournal>(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return options.Provider switch
            {
                StorageProvider.Sqlite => new SqliteSessionJournal(
                    options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SqliteSessionJournal>>()),
                StorageProvider.PostgreSQL => new PostgresSessionJournal(options, sp.GetRequiredService<ILogger<PostgresSessionJournal>>()),
                _ => throw new InvalidOperationException($"Storage:Provider '{options.Provider}' is not supported; set it to Sqlite or PostgreSQL."),
            };
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SessionJournalStartup>());
        return services;
    }
}
