using AgentGrains.Storage.Orleans.Sqlite;
using Microsoft.Extensions.Configuration;

namespace AgentGrains.Storage.Hosting;

/// <summary>Keeps a silo's Orleans reminders and grain state where <c>Storage:Provider</c> says durable data lives.</summary>
public static class StorageSiloBuilderExtensions
{
    /// <summary>
    /// The shortest reminder period silos allow by default: a run's watchdog ticks every few seconds
    /// (Orleans' own default minimum is a minute). <c>Orleans:MinimumReminderPeriod</c> overrides it.
    /// </summary>
    public static readonly TimeSpan DefaultMinimumReminderPeriod = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Orleans reminders and grain state in the embedded SQLite file (<c>Storage:Provider</c> <c>Sqlite</c>,
    /// the default) or in PostgreSQL (<c>PostgreSQL</c>, <c>ConnectionStrings:AgentGrains</c>), beside
    /// the session journals, with reminder periods down to <see cref="DefaultMinimumReminderPeriod"/>.
    /// </summary>
    public static ISiloBuilder UseAgentGrainsStorage(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var minimum = configuration.GetValue<TimeSpan?>("Orleans:MinimumReminderPeriod") ?? DefaultMinimumReminderPeriod;
        var provider = configuration.GetValue<StorageProvider?>($"{StorageOptions.SectionName}:{nameof(StorageOptions.Provider)}") ?? StorageProvider.Sqlite;
        if (provider == StorageProvider.PostgreSQL)
        {
            builder.UsePostgresStorage();
            builder.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = minimum);
        }
        else
        {
            builder.UseEmbeddedSqlite(minimum);
        }

        return builder;
    }
}
