using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace AgentGrains.Storage.Orleans.Sqlite;

/// <summary>Opens connections to the embedded SQLite file for Orleans' ADO.NET providers, each set up to share the file.</summary>
/// <remarks>
/// Orleans' providers open a pooled connection per statement. The file is shared with the session
/// journal's group-committing writer, so every connection waits for the write lock for up to
/// <see cref="BusyTimeout"/> instead of failing with <c>SQLITE_BUSY</c>, and flushes as
/// <see cref="StorageOptions.FlushEachCommit"/> asks. Both settings belong to the connection, not the
/// file, so they are applied at every open (two pragmas, microseconds) rather than once.
/// </remarks>
internal sealed class SqliteOrleansDataSource : DbDataSource
{
    /// <summary>
    /// The ADO.NET invariant the providers are given. Orleans maps <c>System.Data.SQLite</c> to
    /// Microsoft.Data.Sqlite's factory; the name <c>Microsoft.Data.Sqlite</c> is unknown to its
    /// constants table and fails at start-up.
    /// </summary>
    public const string Invariant = "System.Data.SQLite";

    /// <summary>How long a statement waits for another connection's write lock.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly string connectionString;
    private readonly string pragmas;

    public SqliteOrleansDataSource(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        FilePath = Path.GetFullPath(options.Path);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Microsoft.Data.Sqlite's own retry on SQLITE_BUSY is bounded by the command timeout:
            // keep it equal to the busy timeout so neither gives up first.
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        pragmas = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = {(options.FlushEachCommit ? "FULL" : "NORMAL")};");
    }

    /// <summary>The absolute path of the database file.</summary>
    public string FilePath { get; }

    /// <inheritdoc />
    public override string ConnectionString => connectionString;

    /// <inheritdoc />
    /// <remarks>The connection is not open; open it through <see cref="DbDataSource.OpenConnection"/> to get the shared-file settings.</remarks>
    protected override DbConnection CreateDbConnection() => new SqliteConnection(connectionString);

    /// <inheritdoc />
    protected override DbConnection OpenDbConnection()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Configure(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            Configure(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Idle pooled connections keep the file (and its -wal and -shm files) open after the silo stops.
            using var connection = new SqliteConnection(connectionString);
            SqliteConnection.ClearPool(connection);
        }

        base.Dispose(disposing);
    }

    private void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        command.ExecuteNonQuery();
    }
}
