using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

internal sealed partial class PostgresGrainStorage
{
    // Every migrator in the database takes this one lock (the ASCII of "AGRAINS"), so silos starting
    // at once apply each script exactly once, whatever their schema; a script runs in milliseconds.
    private const long MigrationLock = 0x0041_4752_4149_4E53;

    // A script is work, not a wait: it may run longer than the connection's command timeout (30 s by
    // default), yet stays bounded. Waiting for another silo's migration is bounded by lock_timeout.
    private const int MigrationCommandTimeoutSeconds = 600;

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await InLockedTransactionAsync(connection, async transaction =>
        {
            // Two sessions creating one schema at once can both pass IF NOT EXISTS; the lock prevents it.
            await ExecuteAsync(connection, transaction, Sql("""
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
                await using (var check = new NpgsqlCommand(Sql("SELECT EXISTS (SELECT 1 FROM {schema}.schema_version WHERE version = $1)"), connection, transaction))
                {
                    check.CommandTimeout = MigrationCommandTimeoutSeconds;
                    check.Parameters.Add(new NpgsqlParameter<int> { TypedValue = script.Version });
                    if ((bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                    {
                        return false;
                    }
                }

                await ExecuteAsync(connection, transaction, Sql(script.Sql), cancellationToken).ConfigureAwait(false);
                await using var record = new NpgsqlCommand(Sql("INSERT INTO {schema}.schema_version (version, name) VALUES ($1, $2)"), connection, transaction) { CommandTimeout = MigrationCommandTimeoutSeconds };
                record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = script.Version });
                record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = script.Name });
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            if (applied)
            {
                LogMigrationApplied(logger, script.Name, ClusterScope);
            }
        }
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
}
