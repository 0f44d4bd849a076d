using AgentGrains.Storage.Journal;
using AgentGrains.Storage.Journal.Postgres;
using AgentGrains.Storage.Migrations;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace AgentGrains.Storage.Memory;

/// <summary>Long-term memory in the journal's PostgreSQL schema: table <c>memories</c>, searched through its <c>tsvector</c> column.</summary>
/// <remarks>
/// <para>The store migrates the schema itself before its first use (the same numbered scripts as the
/// journal, under the migrator's advisory lock), so it works whether or not a journal has started.
/// It has a data source of its own: memory calls are few and short, and never wait behind the
/// journal's group commits.</para>
/// <para>Every call is one statement (two for a remembered key that already existed), in its own
/// transaction: nothing here needs more, and many silos may write one user's facts at once.</para>
/// </remarks>
internal sealed partial class PostgresMemoryStore : IMemoryStore, IAsyncDisposable
{
    // A remember call whose key was taken, and whose fact was then deleted before it read it back,
    // inserts again; more rounds than this mean something else is wrong.
    private const int RememberAttempts = 3;

    private const string Columns = "id, user_id, fact, session_id, run_id, step, created_at";

    private readonly NpgsqlDataSource dataSource;
    private readonly string schema;
    private readonly ILogger<PostgresMemoryStore> logger;
    private readonly JournalStartup startup;
    private readonly string insertSql;
    private readonly string findByKeySql;
    private readonly string searchSql;
    private readonly string readEmbeddedSql;
    private readonly string listSql;
    private readonly string deleteSql;
    private readonly string deleteAllSql;
    private int disposed;

    public PostgresMemoryStore(StorageOptions options, ILogger<PostgresMemoryStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString, nameof(options));
        if (!StorageOptionsValidator.IsSafeSchemaName(options.Schema))
        {
            throw new ArgumentException($"Storage:Schema '{options.Schema}' is not a plain schema name.", nameof(options));
        }

        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var settings = builder.ConnectionStringBuilder;
        dataSource = builder.Build();
        schema = options.Schema;
        this.logger = logger;
        // Host, port, database and schema: never credentials, so it is safe in messages and logs.
        Target = $"postgresql://{settings.Host}:{settings.Port}/{settings.Database ?? settings.Username}/{schema}";
        startup = new JournalStartup(MigrateAsync);

        // When the key exists, DO NOTHING returns no row: the caller reads the first fact in a second
        // statement, whose snapshot sees the row a racing insert committed (this one waited for it).
        insertSql = PostgresMigrator.Splice(schema, $$"""
            INSERT INTO {schema}.memories (user_id, key, fact, session_id, run_id, step, created_at, embedding)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (user_id, key) DO NOTHING
            RETURNING {{Columns}}
            """);
        findByKeySql = PostgresMigrator.Splice(schema, $$"""SELECT {{Columns}} FROM {schema}.memories WHERE user_id = $1 AND key = $2""");
        // $2 is only ever words of letters and digits joined by |, built by MemoryQuery. Stop words
        // are dropped by the 'english' configuration; a query of stop words only matches nothing.
        // ts_rank_cd counts how densely the fact covers the query's words; ties go to the newer fact.
        searchSql = PostgresMigrator.Splice(schema, $$"""
            SELECT {{Columns}} FROM {schema}.memories, to_tsquery('english'::regconfig, $2) AS query
            WHERE user_id = $1 AND fact_search @@ query
            ORDER BY ts_rank_cd(fact_search, query) DESC, id DESC
            LIMIT $3
            """);
        readEmbeddedSql = PostgresMigrator.Splice(schema, $$"""
            SELECT {{Columns}}, embedding FROM {schema}.memories
            WHERE user_id = $1 AND embedding IS NOT NULL
            ORDER BY id DESC LIMIT $2
            """);
        listSql = PostgresMigrator.Splice(schema, $$"""SELECT {{Columns}} FROM {schema}.memories WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3""");
        deleteSql = PostgresMigrator.Splice(schema, "DELETE FROM {schema}.memories WHERE user_id = $1 AND id = $2");
        deleteAllSql = PostgresMigrator.Splice(schema, "DELETE FROM {schema}.memories WHERE user_id = $1");
    }

    /// <summary>Names the server, database and schema (never credentials).</summary>
    public string Target { get; }

    /// <inheritdoc />
    public async Task<MemoryFact> RememberAsync(NewMemoryFact fact, CancellationToken cancellationToken)
    {
        MemoryArguments.Validate(fact);
        await ReadyAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            for (var attempt = 0; attempt < RememberAttempts; attempt++)
            {
                await using (var insert = new NpgsqlCommand(insertSql, connection))
                {
                    insert.Parameters.Text(fact.UserId).Text(fact.Key).Text(fact.Text).Text(fact.SessionId).Text(fact.RunId);
                    insert.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = fact.Step });
                    insert.Parameters.Timestamp(fact.CreatedAt);
                    insert.Parameters.Add(new NpgsqlParameter
                    {
                        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Real,
                        Value = (object?)fact.Embedding ?? DBNull.Value,
                    });
                    if (await ReadOneAsync(insert, cancellationToken).ConfigureAwait(false) is { } inserted)
                    {
                        return inserted;
                    }
                }

                await using var find = new NpgsqlCommand(findByKeySql, connection);
                find.Parameters.Text(fact.UserId).Text(fact.Key);
                if (await ReadOneAsync(find, cancellationToken).ConfigureAwait(false) is { } first)
                {
                    return first;
                }
            }
        }
        catch (NpgsqlException ex)
        {
            throw Failed("write", ex);
        }

        throw new StorageException($"The fact of key '{fact.Key}' was deleted each time it was read back; try again.", isTransient: true);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MemoryFact>> SearchAsync(string userId, string query, int limit, CancellationToken cancellationToken)
    {
        MemoryArguments.Validate(userId, limit);
        ArgumentNullException.ThrowIfNull(query);
        var words = MemoryQuery.Words(query);
        if (words.Count == 0)
        {
            return [];
        }

        return await QueryAsync(
            searchSql,
            limit,
            embedding: false,
            p =>
            {
                p.Text(userId).Text(MemoryQuery.TsQuery(words));
                p.Bigint(limit);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MemoryFact>> ReadEmbeddedAsync(string userId, int limit, CancellationToken cancellationToken)
    {
        MemoryArguments.Validate(userId, limit);
        return QueryAsync(readEmbeddedSql, limit, embedding: true, p => p.Text(userId).Bigint(limit), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MemoryFact>> ListAsync(string userId, long before, int limit, CancellationToken cancellationToken)
    {
        MemoryArguments.ValidateList(userId, before, limit);
        return QueryAsync(listSql, limit, embedding: false, p => p.Text(userId).Bigint(MemoryArguments.UpperBound(before)).Bigint(limit), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string userId, long id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return await ExecuteAsync(deleteSql, p => p.Text(userId).Bigint(id), cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public Task<int> DeleteAllAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return ExecuteAsync(deleteAllSql, p => p.Text(userId), cancellationToken);
    }

    /// <summary>Stops a migration in progress and closes the data source.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await startup.StopAsync().ConfigureAwait(false);
        startup.Dispose();
        await dataSource.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<MemoryFact>> QueryAsync(
        string sql, int limit, bool embedding, Action<NpgsqlParameterCollection> parameters, CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = dataSource.CreateCommand(sql);
            parameters(command.Parameters);
            var facts = new List<MemoryFact>(Math.Min(limit, 256));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                facts.Add(Read(reader, embedding));
            }

            return facts;
        }
        catch (NpgsqlException ex)
        {
            throw Failed("read", ex);
        }
    }

    private async Task<int> ExecuteAsync(string sql, Action<NpgsqlParameterCollection> parameters, CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = dataSource.CreateCommand(sql);
            parameters(command.Parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw Failed("write", ex);
        }
    }

    private static async Task<MemoryFact?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader, embedding: false) : null;
    }

    private static MemoryFact Read(NpgsqlDataReader reader, bool embedding) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetInt32(5),
        reader.GetFieldValue<DateTimeOffset>(6),
        embedding ? reader.GetFieldValue<float[]>(7) : null);

    /// <summary>Waits for the schema to be migrated; throws once the store is disposed.</summary>
    private Task ReadyAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        return startup.EnsureAsync(cancellationToken);
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PostgresMigrator.MigrateAsync(dataSource, schema, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException ex)
        {
            // The migrator's message names the schema only; say which server too (never the password).
            throw new StorageException($"Could not open the memory store at {Target}: {ex.Message}", ex.IsTransient, ex);
        }

        LogOpened(logger, Target);
    }

    private StorageException Failed(string operation, NpgsqlException ex) =>
        new($"PostgreSQL {operation} of the memory store at {Target} failed: {ex.Message}", ex.IsTransient, ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Memory store open at {Target}")]
    private static partial void LogOpened(ILogger logger, string target);
}
