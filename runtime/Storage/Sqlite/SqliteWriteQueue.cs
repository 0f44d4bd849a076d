using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Runtime.Storage.Sqlite;

/// <summary>The single writer of a SQLite file: batches queued writes into one transaction (group commit).</summary>
/// <remarks>
/// SQLite admits one writer at a time, so many small transactions queue on its lock and each
/// pays its own fsync. One loop that takes everything queued, runs each write inside its own
/// savepoint and commits once gives every write its own outcome at the cost of one fsync per
/// batch. Writes run in queue order, so the inbox assigns ids in the order calls were made.
/// </remarks>
internal sealed partial class SqliteWriteQueue : IAsyncDisposable
{
    private const int MaxBatch = 512;

    private readonly Channel<SqliteWrite> queue = Channel.CreateUnbounded<SqliteWrite>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly SqliteConnection connection;
    private readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);
    private readonly ILogger logger;
    private readonly Task loop;

    public SqliteWriteQueue(SqliteConnection connection, ILogger logger)
    {
        this.connection = connection;
        this.logger = logger;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a write; its task completes after the batch holding it commits.</summary>
    public Task<T> Enqueue<T>(Func<SqliteWriteQueue, T> body)
    {
        var write = new SqliteWrite<T>(body);
        if (!queue.Writer.TryWrite(write))
        {
            return Task.FromException<T>(new StorageException("The SQLite store is closed.", isTransient: true));
        }

        return write.Task;
    }

    /// <summary>A prepared command for <paramref name="sql"/>, reused across writes (parameters cleared).</summary>
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

            try
            {
                Execute("BEGIN IMMEDIATE");
                foreach (var write in batch)
                {
                    Execute("SAVEPOINT w");
                    try
                    {
                        write.Run(this);
                        Execute("RELEASE w");
                    }
                    catch (Exception ex) when (ex is AgentGrainsException or SqliteException { SqliteErrorCode: 19 } or System.Text.Json.JsonException)
                    {
                        // A failed condition or constraint undoes only this write; the batch goes on.
                        Execute("ROLLBACK TO w");
                        Execute("RELEASE w");
                        write.SetError(ex is SqliteException ? new InconsistentStateException($"A stored row conflicts with this write: {ex.Message}") : ex);
                    }
                }

                Execute("COMMIT");
            }
            catch (Exception ex)
            {
                LogBatchFailed(logger, batch.Count, ex);
                TryRollback();
                var failure = new StorageException($"SQLite write failed: {ex.Message}", isTransient: true, ex);
                foreach (var write in batch)
                {
                    write.SetError(failure);
                }
            }

            foreach (var write in batch)
            {
                write.Publish();
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
            // The transaction is already gone (SQLite rolls back on some errors by itself).
        }
    }

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

    [LoggerMessage(Level = LogLevel.Error, Message = "A SQLite write batch of {Count} writes failed and was rolled back")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
