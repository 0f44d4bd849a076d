using AgentGrains.Storage.Migrations;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Storage.Orleans.Sqlite;

/// <summary>Brings the SQLite file up to the newest migration while the silo starts, before any Orleans provider reads it.</summary>
/// <remarks>
/// It runs at <see cref="ServiceLifecycleStage.RuntimeInitialize"/>: the reminder table loads its
/// statements at <see cref="ServiceLifecycleStage.RuntimeGrainServices"/> and grain storage at
/// <see cref="ServiceLifecycleStage.ApplicationServices"/>, both from the <c>OrleansQuery</c> table a
/// migration creates. A failure stops the silo's start with the database's own error.
/// </remarks>
internal sealed partial class SqliteSchemaMigration(
    SqliteOrleansDataSource dataSource,
    TimeProvider timeProvider,
    ILogger<SqliteSchemaMigration> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(SqliteSchemaMigration), ServiceLifecycleStage.RuntimeInitialize, MigrateAsync);
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(dataSource.FilePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        LogMigrating(logger, dataSource.FilePath);
        var connection = (SqliteConnection)await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // WAL is a property of the file: once set it stays. It lets the journal's writer commit
            // while Orleans' providers and the journal's readers read.
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL";
                wal.ExecuteNonQuery();
            }

            SqliteMigrator.Migrate(connection, timeProvider, logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrating the SQLite database {Database} before Orleans starts its providers")]
    private static partial void LogMigrating(ILogger logger, string database);
}
