using AgentGrains.Storage.Migrations;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Storage.Journal.Sqlite;

/// <summary>The session journal in one SQLite file: WAL mode, one group-committing writer, pooled readers.</summary>
/// <remarks>
/// <para>WAL lets readers run beside the single writer, each on a snapshot. Commits go through one
/// <see cref="SqliteWriteQueue"/>, which shares one transaction and one fsync among every commit
/// queued meanwhile. <see cref="StorageOptions.FlushEachCommit"/> keeps <c>synchronous=FULL</c>,
/// so an acknowledged commit survives power loss, not only a crash of the process.</para>
/// <para>The file is opened and migrated on first use (or by <see cref="InitializeAsync"/>);
/// another process or component may write the same file: its transactions and this writer's
/// wait for each other up to the busy timeout.</para>
/// </remarks>
internal sealed partial class SqliteSessionJournal : ISessionJournal, IInitializableJournal, IAsyncDisposable
{
    // Seconds a statement waits for the file's lock (another writer, a checkpoint) before failing.
    private const int BusyTimeoutSeconds = 30;

    private readonly string readerConnectionString;
    private readonly string writerConnectionString;
    private readonly bool flushEachCommit;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<SqliteSessionJournal> logger;
    private readonly JournalStartup startup;
    private SqliteWriteQueue? writer;
    private int disposed;

    public SqliteSessionJournal(StorageOptions options, TimeProvider timeProvider, ILogger<SqliteSessionJournal> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path, nameof(options));
        FilePath = Path.GetFullPath(options.Path);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Microsoft.Data.Sqlite retries a busy statement until this many seconds have passed.
            DefaultTimeout = BusyTimeoutSeconds,
        };
        readerConnectionString = builder.ToString();
        // The writer keeps its connection for the journal's life: unpooled, so disposing it closes the file.
        builder.Pooling = false;
        writerConnectionString = builder.ToString();
        flushEachCommit = options.FlushEachCommit;
        this.timeProvider = timeProvider;
        this.logger = logger;
        startup = new JournalStartup(OpenAsync);
    }

    /// <summary>The absolute path of the database file.</summary>
    public string FilePath { get; }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken) => startup.EnsureAsync(cancellationToken);

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(writerConnectionString);
        try
        {
            var directory = Path.GetDirectoryName(FilePath);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // WAL is a property of the file and persists; synchronous and busy_timeout are per
            // connection, and only this connection writes.
            Pragma(connection, "PRAGMA journal_mode=WAL");
            Pragma(connection, flushEachCommit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
            Pragma(connection, $"PRAGMA busy_timeout={BusyTimeoutSeconds * 1000}");
            cancellationToken.ThrowIfCancellationRequested();
            SqliteMigrator.Migrate(connection, timeProvider, logger);
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (ex is SqliteException or IOException or UnauthorizedAccessException)
            {
                // Busy or locked (5, 6): another process held the file past the timeout; a retry can help.
                throw new StorageException($"Could not open the SQLite session journal at {FilePath}: {ex.Message}", isTransient: ex is SqliteException { SqliteErrorCode: 5 or 6 }, ex);
            }

            throw;
        }

        writer = new SqliteWriteQueue(connection, logger);
        LogOpened(logger, FilePath);
    }

    private static void Pragma(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Waits for the file to be open and migrated; throws once the journal is disposed.</summary>
    private async Task<SqliteWriteQueue> ReadyAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        await startup.EnsureAsync(cancellationToken).ConfigureAwait(false);
        return writer!;
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(readerConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static StorageException ReadFailed(SqliteException ex) =>
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer or a checkpoint held the file past the timeout.
        new($"SQLite read of the session journal failed: {ex.Message}", isTransient: ex.SqliteErrorCode is 5 or 6, ex);

    /// <summary>Lets every commit already queued finish, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await startup.StopAsync().ConfigureAwait(false);
        startup.Dispose();
        if (writer is not null)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }

        // Pooled readers keep the file open; releasing them lets it be reopened, moved or deleted.
        using var pooled = new SqliteConnection(readerConnectionString);
        SqliteConnection.ClearPool(pooled);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session journal open at {Database}")]
    private static partial void LogOpened(ILogger logger, string database);
}
