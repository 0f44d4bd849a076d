using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentGrains.Storage.Migrations;

/// <summary>Creates the schema and applies the PostgreSQL migrations, once, however many silos start at once.</summary>
/// <remarks>
/// Every script runs in its own transaction holding one advisory lock, so silos starting together
/// apply each script exactly once; the schema itself is created under the same lock. Scripts write
/// <c>{schema}</c>, replaced by the schema name (checked to need no quoting).
/// </remarks>
public static partial class PostgresMigrator
{
    // Every migrator in the database takes this one lock (the ASCII of "AGRAINS"), so silos starting
    // at once apply each script exactly once, whatever their schema; a script runs in milliseconds.
    private const long MigrationLock = 0x0041_4752_4149_4E53;

    // A script is work, not a wait: it may run longer than the connection's command timeout (30 s by
    // default), yet stays bounded. Waiting for another silo's migration is bounded by lock_timeout.
    private const int MigrationCommandTimeoutSeconds = 600;

    /// <summary>Brings <paramref name="schema"/> up to the newest migration.</summary>
    /// <exception cref="StorageException">The server refused or could not be reached.</exception>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string schema, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);
        if (!StorageOptionsValidator.IsSafeSchemaName(schema))
        {
            throw new ArgumentException($"Storage:Schema '{schema}' is not a plain schema name.", nameof(schema));
        }

        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await InLockedTransactionAsync(connection, async transaction =>
            {
                // Two sessions creating one schema at once can both pass IF NOT EXISTS; the lock prevents it.
                await ExecuteAsync(connection, transaction, Splice(schema, """
                    CREATE SCHEMA IF NOT EXISTS {schema};
                    CREATE TABLE IF NOT EXISTS {schema}.schema_version (
                        version    integer PRIMARY KEY,
                        name       text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())
                    """), cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);

            foreach (var script in MigrationScript.Load("postgres"))
            {
                var applied = await InLockedTransactionAsync(connection, async transaction =>
                {
                    await using (var check = new NpgsqlCommand(Splice(schema, "SELECT EXISTS (SELECT 1 FROM {schema}.schema_version WHERE version = $1)"), connection, transaction))
                    {
                        check.CommandTimeout = MigrationCommandTimeoutSeconds;
                        check.Parameters.Add(new NpgsqlParameter<int> { TypedValue = script.Version });
                        if ((bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                        {
                            return false;
                        }
                    }

                    await ExecuteAsync(connection, transaction, Splice(schema, script.Sql), cancellationToken).ConfigureAwait(false);
                    await using var record = new NpgsqlCommand(Splice(schema, "INSERT INTO {schema}.schema_version (version, name) VALUES ($1, $2)"), connection, transaction) { CommandTimeout = MigrationCommandTimeoutSeconds };
                    record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = script.Version });
                    record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = script.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
                if (applied)
                {
                    LogMigrationApplied(logger, script.Name, schema);
                }
            }
        }
        catch (NpgsqlException ex)
        {
            throw new StorageException($"Could not migrate the PostgreSQL schema '{schema}': {ex.Message}", ex.IsTransient, ex);
        }
    }

    /// <summary>Replaces <c>{schema}</c> in <paramref name="sql"/> with the quoted schema name.</summary>
    public static string Splice(string schema, string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql.Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal);
    }

    /// <summary>Runs <paramref name="body"/> in its own transaction holding the migration lock, and commits.</summary>
    private static async Task<bool> InLockedTransactionAsync(
        NpgsqlConnection connection,
        Func<NpgsqlTransaction, Task<bool>> body,
        CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Bounded: a silo stuck behind a hung migrator fails its start with a lock timeout instead of waiting for ever.
        await ExecuteAsync(connection, transaction, $"SET LOCAL lock_timeout = '60s'; SELECT pg_advisory_xact_lock({MigrationLock})", cancellationToken).ConfigureAwait(false);
        var changed = await body(transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = MigrationCommandTimeoutSeconds };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration} to PostgreSQL schema {Schema}")]
    private static partial void LogMigrationApplied(ILogger logger, string migration, string schema);
}
