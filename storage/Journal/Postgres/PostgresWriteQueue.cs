using System.Data;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentGrains.Storage.Journal.Postgres;

/// <summary>A group-committing writer: one connection, one loop, many writes per transaction and round trip.</summary>
/// <remarks>
/// <para>A transaction per write costs a round trip and a WAL flush each. The loop instead takes
/// everything queued and sends it as one batch (BEGIN, every write's statements, COMMIT), so
/// concurrent callers share one round trip and one flush. Writes run in queue order.</para>
/// <para>Each write keeps its own outcome without savepoints (a savepoint per write would give every
/// write a subtransaction, and more than 64 in one transaction slow down every snapshot on the
/// server). A failed condition raises, PostgreSQL aborts the batch, and the loop rolls back, fails
/// only the write that raised and sends the others again. Conditions fail rarely (a stale
/// activation, a reused key), so the common path is exactly one round trip.</para>
/// </remarks>
internal sealed partial class PostgresWriteQueue : IAsyncDisposable
{
    /// <summary>The SQLSTATE raised by the schema's <c>ensure</c> function (migration 0001) when a write's condition fails.</summary>
    public const string ConditionFailed = "AG001";

    // Bounds one round trip's size and the time its row locks are held; a busy queue fills the next
    // batch while this one commits.
    private const int MaxBatch = 256;

    // Deadlocks and serialization failures abort the whole transaction through no write's fault.
    private const int MaxTransientRetries = 3;

    private readonly Channel<PostgresWrite> queue = Channel.CreateUnbounded<PostgresWrite>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly NpgsqlDataSource dataSource;
    private readonly ILogger logger;
    private readonly Task loop;
    private NpgsqlConnection? connection;
    private bool rollbackFirst;

    public PostgresWriteQueue(NpgsqlDataSource dataSource, ILogger logger)
    {
        this.dataSource = dataSource;
        this.logger = logger;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a write; its task completes after the batch holding it commits.</summary>
    /// <remarks>A queued write always runs: its caller's cancellation cannot take it back out of a batch.</remarks>
    public Task<T> Enqueue<T>(Action<PostgresBatch> build, T result)
    {
        var write = new PostgresWrite<T>(build, result);
        if (!queue.Writer.TryWrite(write))
        {
            return Task.FromException<T>(new StorageException("The PostgreSQL session journal is closed.", isTransient: true));
        }

        return write.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<PostgresWrite>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            await CommitAsync(batch).ConfigureAwait(false);
            foreach (var write in batch)
            {
                write.Publish();
            }
        }
    }

    private async Task CommitAsync(List<PostgresWrite> batch)
    {
        var pending = new List<PostgresWrite>(batch);
        var transientRetries = 0;
        while (pending.Count > 0)
        {
            PostgresBatch? sent = null;
            try
            {
                // Not cancellable: a batch in flight is other callers' commits. The data source's
                // connection and command timeouts bound it instead.
                connection ??= await dataSource.OpenConnectionAsync().ConfigureAwait(false);
                sent = new PostgresBatch(connection, rollbackFirst);
                // Set before sending: if the send fails half-way, the next batch cleans up first.
                rollbackFirst = true;
                foreach (var write in pending)
                {
                    sent.Owner = write;
                    write.Build(sent);
                }

                await sent.ExecuteAsync(CancellationToken.None).ConfigureAwait(false);
                rollbackFirst = false;
                return;
            }
            catch (PostgresException ex) when (!ex.IsTransient && sent?.Find(ex.BatchCommand) is ({ } failed, var conflict))
            {
                // Only the write that raised fails; the transaction is gone, so the others go again.
                failed.SetError(ToWriteError(ex, conflict));
                pending.Remove(failed);
                if (pending.Count > 0)
                {
                    LogBatchResent(logger, pending.Count, ex.SqlState);
                }
            }
            catch (PostgresException ex) when (ex.IsTransient && connection?.State == ConnectionState.Open && transientRetries < MaxTransientRetries)
            {
                transientRetries++;
                LogBatchRetried(logger, pending.Count, ex.SqlState);
            }
            catch (Exception ex)
            {
                // The connection broke or the server refused the batch as a whole (or a bug): nobody
                // knows which writes committed, so all fail, as transient when a retry can help. A
                // retried commit is refused if its first attempt did land, and the session reloads.
                LogBatchFailed(logger, pending.Count, ex);
                var failure = new StorageException(
                    $"PostgreSQL write failed: {ex.Message}",
                    isTransient: ex is not NpgsqlException npgsql || npgsql.IsTransient || connection?.State != ConnectionState.Open,
                    ex);
                foreach (var write in pending)
                {
                    write.SetError(failure);
                }

                await ResetConnectionAsync().ConfigureAwait(false);
                return;
            }
            finally
            {
                if (sent is not null)
                {
                    await sent.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static Exception ToWriteError(PostgresException ex, Func<string>? conflict) => ex.SqlState switch
    {
        ConditionFailed or PostgresErrorCodes.UniqueViolation when conflict is not null => new JournalConflictException(conflict()),
        // Refused for this write's own data (U+0000 in a payload, a key too long for the index):
        // sending it again cannot help, and the rest of the batch is unaffected.
        _ => new StorageException($"PostgreSQL refused a journal commit ({ex.SqlState}): {ex.MessageText}", isTransient: false, ex),
    };

    private async Task ResetConnectionAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            connection = null;
        }

        rollbackFirst = false;
    }

    /// <summary>Lets every queued write finish, then returns the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop.ConfigureAwait(false);
        await ResetConnectionAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A PostgreSQL journal batch of {Count} commits failed and was rolled back")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A PostgreSQL journal batch of {Count} commits was aborted by the server ({SqlState}) and is sent again")]
    private static partial void LogBatchRetried(ILogger logger, int count, string sqlState);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A commit of a PostgreSQL journal batch was refused ({SqlState}); the other {Count} are sent again")]
    private static partial void LogBatchResent(ILogger logger, int count, string sqlState);
}
