using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Storage.Journal.Sqlite;

/// <summary>The single writer of a SQLite file: batches queued writes into one transaction (group commit).</summary>
/// <remarks>
/// <para>SQLite admits one writer at a time, so many small transactions queue on its lock and each
/// pays its own fsync. One loop that takes everything queued, runs each write inside its own
/// savepoint and commits once gives every write its own outcome at the cost of one fsync per
/// batch. Writes run in queue order.</para>
/// <para>A write refuses itself by throwing <see cref="JournalConflictException"/>: its savepoint is
/// rolled back, so nothing of it stays in the batch, and the batch goes on. Any other failure
/// (I/O, a full disk, a lock held past the busy timeout) rolls back the whole batch and fails
/// every write in it as transient.</para>
/// </remarks>
internal sealed partial class SqliteWriteQueue : IAsyncDisposable
{
    // Bounds one transaction (and so the time the file's write lock is held, and the WAL's growth
    // between checkpoints); a busy queue fills the next batch while this one commits.
    private const int MaxBatch = 512;

    // SQLITE_CONSTRAINT: a row the write inserts breaks a constraint other than the ones it checks.
    private const int ConstraintError = 19;

    private readonly Channel<SqliteWrite> queue = Channel.CreateUnbounded<SqliteWrite>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly SqliteConnection connection;
    private readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);
    private readonly ILogger logger;
    private readonly Task loop;

    /// <param name="connection">An open connection the queue owns from now on and disposes.</param>
    /// <param name="logger">Where failed batches are logged.</param>
    public SqliteWriteQueue(SqliteConnection connection, ILogger logger)
    {
        this.connection = connection;
        this.logger = logger;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a write; its task completes after the batch holding it commits.</summary>
    /// <remarks>A queued write always runs: its caller's cancellation cannot take it back out of a batch.</remarks>
    public Task<T> Enqueue<T>(Func<SqliteWriteQueue, T> body)
    {
        var write = new SqliteWrite<T>(body);
        if (!queue.Writer.TryWrite(write))
        {
            return Task.FromException<T>(new StorageException("The SQLite session journal is closed.", isTransient: true));
        }

        return write.Task;
    }

    /// <summary>A command for <paramref name="sql"/>, reused across writes (so SQLite prepares it once), its parameters cleared.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands.Add(sql, command);
        }

        command.Parameters.Clear();
        return command;
    }

    private async Task RunAsync()
    {
        var batch = new List<SqliteWrite>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            Commit(batch);
            foreach (var write in batch)
            {
                write.Publish();
            }
        }
    }

    private void Commit(List<SqliteWrite> batch)
    {
        try
        {
            // IMMEDIATE takes the write lock now (waiting up to busy_timeout for another process's
            // writer), so no statement of the batch can fail later for want of it.
            Execute("BEGIN IMMEDIATE");
            foreach (var write in batch)
            {
                Execute("SAVEPOINT w");
                try
                {
                    write.Run(this);
                    Execute("RELEASE w");
                }
                catch (Exception ex) when (ex is JournalConflictException or SqliteException { SqliteErrorCode: ConstraintError })
                {
                    // Only this write is undone; the others in the batch stay.
                    Execute("ROLLBACK TO w");
                    Execute("RELEASE w");
                    write.SetError(ex is JournalConflictException
                        ? ex
                        : new StorageException($"SQLite refused a journal commit: {ex.Message}", isTransient: false, ex));
                }
            }

            Execute("COMMIT");
        }
        catch (Exception ex)
        {
            // Whatever failed (the file, or a bug in a write), the loop must live on: a dead loop
            // would leave every later commit waiting for ever.
            LogBatchFailed(logger, batch.Count, ex);
            TryRollback();
            var failure = new StorageException($"SQLite write failed: {ex.Message}", isTransient: ex is SqliteException, ex);
            foreach (var write in batch)
            {
                write.SetError(failure);
            }
        }
    }

    private void Execute(string sql) => Command(sql).ExecuteNonQuery();

    private void TryRollback()
    {
        try
        {
            Execute("ROLLBACK");
        }
        catch (SqliteException)
        {
            // The transaction is already gone (SQLite rolls back by itself on some errors).
        }
    }

    /// <summary>Lets every queued write finish, then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop.ConfigureAwait(false);
        foreach (var command in commands.Values)
        {
            command.Dispose();
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A SQLite journal batch of {Count} commits failed and was rolled back")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
