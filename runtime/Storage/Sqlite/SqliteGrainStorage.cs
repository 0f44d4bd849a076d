using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Runtime.Storage.Sqlite;

/// <summary>The embedded storage provider: one SQLite file in WAL mode, one group-committing writer, pooled readers.</summary>
internal sealed partial class SqliteGrainStorage : IGrainStorage
{
    private readonly string connectionString;
    private readonly bool flushEachCommit;
    private readonly ILogger<SqliteGrainStorage> logger;
    private SqliteWriteQueue? writer;

    public SqliteGrainStorage(StorageOptions options, ILogger<SqliteGrainStorage> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = System.IO.Path.GetFullPath(options.Path);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        flushEachCommit = options.FlushEachCommit;
        this.logger = logger;
        FilePath = path;
    }

    /// <summary>The absolute path of the database file.</summary>
    public string FilePath { get; }

    private SqliteWriteQueue Writer => writer ?? throw new InvalidOperationException("The SQLite store is not initialized.");

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(FilePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // WAL lets readers run beside the single writer; it is a property of the file and persists.
        Pragma(connection, "PRAGMA journal_mode=WAL");
        Pragma(connection, flushEachCommit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        Pragma(connection, "PRAGMA busy_timeout=30000");
        Migrate(connection);
        writer = new SqliteWriteQueue(connection, logger);
    }

    private void Migrate(SqliteConnection connection)
    {
        Pragma(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        foreach (var script in MigrationScript.Load("sqlite"))
        {
            // BEGIN IMMEDIATE takes the write lock first, so two processes opening the same file
            // cannot both apply one script; the second sees the version row and skips it.
            using var transaction = connection.BeginTransaction(deferred: false);
            using var check = connection.CreateCommand();
            check.Transaction = transaction;
            check.CommandText = "SELECT COUNT(*) FROM schema_version WHERE version = $v";
            check.Parameters.AddWithValue("$v", script.Version);
            if (Convert.ToInt64(check.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                continue;
            }

            using var apply = connection.CreateCommand();
            apply.Transaction = transaction;
            apply.CommandText = script.Sql;
            apply.ExecuteNonQuery();
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_version (version, name, applied_at) VALUES ($v, $n, $t)";
            record.Parameters.AddWithValue("$v", script.Version);
            record.Parameters.AddWithValue("$n", script.Name);
            record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            record.ExecuteNonQuery();
            transaction.Commit();
            LogMigrationApplied(logger, script.Name, FilePath);
        }
    }

    private static void Pragma(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (writer is not null)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            writer = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration} to {Database}")]
    private static partial void LogMigrationApplied(ILogger logger, string migration, string database);
}
