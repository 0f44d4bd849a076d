using System.Globalization;
using AgentGrains.Storage.Journal;
using AgentGrains.Storage.Migrations;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Storage.Memory;

/// <summary>Long-term memory in the journal's SQLite file: table <c>memories</c>, searched through its FTS5 index.</summary>
/// <remarks>
/// <para>The store migrates the file itself before its first use (the same numbered scripts as the
/// journal, applied once whoever comes first), so it works whether or not a journal has opened the
/// file. Every call takes a pooled connection; writes are short <c>BEGIN IMMEDIATE</c> transactions
/// that wait for the journal's writer (and it for them) up to the busy timeout.</para>
/// <para>The FTS5 index is kept in step by the table's triggers (migration 0008), inside the writing
/// transaction: a deleted fact is gone from search when the delete commits.</para>
/// </remarks>
internal sealed partial class SqliteMemoryStore : IMemoryStore, IAsyncDisposable
{
    // Seconds a statement waits for the file's lock (the journal's writer, a checkpoint) before failing.
    private const int BusyTimeoutSeconds = 30;

    private const string Columns = "m.id, m.user_id, m.fact, m.session_id, m.run_id, m.step, m.created_at";

    private const string InsertSql = """
        INSERT INTO memories (user_id, key, fact, session_id, run_id, step, created_at, embedding)
        VALUES ($u, $k, $f, $s, $r, $p, $t, $e)
        ON CONFLICT (user_id, key) DO NOTHING
        """;

    private const string FindByKeySql = $"SELECT {Columns} FROM memories m WHERE m.user_id = $u AND m.key = $k";

    // FTS5's bm25() is more negative the better the match, so ascending order is best first; ties go
    // to the newer fact. MATCH is only ever given the quoted words MemoryQuery built.
    private const string SearchSql = $"""
        SELECT {Columns} FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid
        WHERE memories_fts MATCH $q AND m.user_id = $u
        ORDER BY bm25(memories_fts), m.id DESC
        LIMIT $n
        """;

    private const string ReadEmbeddedSql = $"""
        SELECT {Columns}, m.embedding FROM memories m
        WHERE m.user_id = $u AND m.embedding IS NOT NULL
        ORDER BY m.id DESC LIMIT $n
        """;

    private const string ListSql = $"SELECT {Columns} FROM memories m WHERE m.user_id = $u AND m.id < $b ORDER BY m.id DESC LIMIT $n";

    private const string DeleteSql = "DELETE FROM memories WHERE user_id = $u AND id = $i";

    private const string DeleteAllSql = "DELETE FROM memories WHERE user_id = $u";

    private readonly string connectionString;
    private readonly string pragmas;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<SqliteMemoryStore> logger;
    private readonly JournalStartup startup;
    private int disposed;

    public SqliteMemoryStore(StorageOptions options, TimeProvider timeProvider, ILogger<SqliteMemoryStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path, nameof(options));
        FilePath = Path.GetFullPath(options.Path);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Microsoft.Data.Sqlite retries a busy statement until this many seconds have passed.
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString();
        // Both belong to the connection, not the file: applied at every open (microseconds).
        pragmas = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {BusyTimeoutSeconds * 1000}; PRAGMA synchronous = {(options.FlushEachCommit ? "FULL" : "NORMAL")};");
        this.timeProvider = timeProvider;
        this.logger = logger;
        startup = new JournalStartup(MigrateAsync);
    }

    /// <summary>The absolute path of the database file.</summary>
    public string FilePath { get; }

    /// <inheritdoc />
    public async Task<MemoryFact> RememberAsync(NewMemoryFact fact, CancellationToken cancellationToken)
    {
        MemoryArguments.Validate(fact);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One write transaction: the fact read back is the one the key holds at this commit,
            // whether this call inserted it or an earlier one did.
            await using var transaction = connection.BeginTransaction(deferred: false);
            await using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = InsertSql;
                insert.Parameters.AddWithValue("$u", fact.UserId);
                insert.Parameters.AddWithValue("$k", fact.Key);
                insert.Parameters.AddWithValue("$f", fact.Text);
                insert.Parameters.AddWithValue("$s", fact.SessionId);
                insert.Parameters.AddWithValue("$r", fact.RunId);
                insert.Parameters.AddWithValue("$p", fact.Step);
                insert.Parameters.AddWithValue("$t", fact.CreatedAt.ToUnixTimeMilliseconds());
                insert.Parameters.Add("$e", SqliteType.Blob).Value = fact.Embedding is { } embedding ? MemoryEmbedding.ToBytes(embedding) : DBNull.Value;
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            MemoryFact? stored;
            await using (var find = connection.CreateCommand())
            {
                find.Transaction = transaction;
                find.CommandText = FindByKeySql;
                find.Parameters.AddWithValue("$u", fact.UserId);
                find.Parameters.AddWithValue("$k", fact.Key);
                await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                stored = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader, embedding: false) : null;
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return stored ?? throw new StorageException($"The fact of key '{fact.Key}' was neither inserted nor found.", isTransient: true);
        }
        catch (SqliteException ex)
        {
            throw Failed("write", ex);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MemoryFact>> SearchAsync(string userId, string query, int limit, CancellationToken cancellationToken)
    {
        MemoryArguments.Validate(userId, limit);
        ArgumentNullException.ThrowIfNull(query);
        // Without the words that say nothing about a fact (as PostgreSQL's english configuration drops them).
        var words = MemoryQuery.WithoutStopWords(MemoryQuery.Words(query));
        if (words.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<MemoryFact>>([]);
        }

        return QueryAsync(SearchSql, limit, embedding: false, p =>
        {
            p.AddWithValue("$u", userId);
            p.AddWithValue("$q", MemoryQuery.Fts5(words));
            p.AddWithValue("$n", limit);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MemoryFact>> ReadEmbeddedAsync(string userId, int limit, CancellationToken cancellationToken)
    {
        MemoryArguments.Validate(userId, limit);
        return QueryAsync(ReadEmbeddedSql, limit, embedding: true, p =>
        {
            p.AddWithValue("$u", userId);
            p.AddWithValue("$n", limit);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MemoryFact>> ListAsync(string userId, long before, int limit, CancellationToken cancellationToken)
    {
        MemoryArguments.ValidateList(userId, before, limit);
        return QueryAsync(ListSql, limit, embedding: false, p =>
        {
            p.AddWithValue("$u", userId);
            p.AddWithValue("$b", MemoryArguments.UpperBound(before));
            p.AddWithValue("$n", limit);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string userId, long id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return await ExecuteAsync(DeleteSql, p =>
        {
            p.AddWithValue("$u", userId);
            p.AddWithValue("$i", id);
        }, cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public Task<int> DeleteAllAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return ExecuteAsync(DeleteAllSql, p => p.AddWithValue("$u", userId), cancellationToken);
    }

    /// <summary>Releases the pooled connections, so the file can be moved or deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await startup.StopAsync().ConfigureAwait(false);
        startup.Dispose();
        using var pooled = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(pooled);
    }

    private async Task<IReadOnlyList<MemoryFact>> QueryAsync(
        string sql, int limit, bool embedding, Action<SqliteParameterCollection> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            parameters(command.Parameters);
            var facts = new List<MemoryFact>(Math.Min(limit, 256));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                facts.Add(Read(reader, embedding));
            }

            return facts;
        }
        catch (SqliteException ex)
        {
            throw Failed("read", ex);
        }
    }

    private async Task<int> ExecuteAsync(string sql, Action<SqliteParameterCollection> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            parameters(command.Parameters);
            // One statement is its own transaction; the delete trigger updates the index inside it.
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Failed("write", ex);
        }
    }

    private static MemoryFact Read(SqliteDataReader reader, bool embedding) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetInt32(5),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        embedding ? MemoryEmbedding.FromBytes(reader.GetFieldValue<byte[]>(7)) : null);

    /// <summary>Waits for the file to be migrated, then opens a pooled connection set up to share it.</summary>
    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        await startup.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = pragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (ex is SqliteException sqlite)
            {
                throw Failed("open", sqlite);
            }

            throw;
        }
    }

    /// <summary>Creates the file if needed and applies every migration not yet applied (the journal's, this store's, Orleans').</summary>
    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var directory = Path.GetDirectoryName(FilePath);
                if (!string.IsNullOrEmpty(directory))
                {
                    Directory.CreateDirectory(directory);
                }

                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                using (var command = connection.CreateCommand())
                {
                    // WAL is a property of the file and persists: set here too, in case this store
                    // opens the file before the journal does, so readers never wait for writers.
                    command.CommandText = $"PRAGMA journal_mode=WAL; {pragmas}";
                    command.ExecuteNonQuery();
                }

                cancellationToken.ThrowIfCancellationRequested();
                SqliteMigrator.Migrate(connection, timeProvider, logger);
            }
            catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
            {
                // Busy or locked (5, 6): another process held the file past the timeout; a retry can help.
                throw new StorageException(
                    $"Could not open the SQLite memory store at {FilePath}: {ex.Message}", isTransient: ex is SqliteException { SqliteErrorCode: 5 or 6 }, ex);
            }
        }

        LogOpened(logger, FilePath);
    }

    private StorageException Failed(string operation, SqliteException ex) =>
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer or a checkpoint held the file past the timeout.
        new($"SQLite {operation} of the memory store at {FilePath} failed: {ex.Message}", isTransient: ex.SqliteErrorCode is 5 or 6, ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Memory store open at {Database}")]
    private static partial void LogOpened(ILogger logger, string database);
}
