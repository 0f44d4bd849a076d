using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

/// <summary>A group-committing writer: one connection, one loop, many writes per transaction and round trip.</summary>
/// <remarks>
/// <para>A commit per write costs a round trip and a WAL flush each. The loop instead takes everything
/// queued and sends it as one batch (BEGIN, every write's statements, COMMIT), so concurrent callers
/// share one round trip and one flush. Writes run in queue order, so one grain's inbox ids increase
/// in the order its calls were made.</para>
/// <para>Each write keeps its own outcome without savepoints (a savepoint per write would give every
/// write a subtransaction, and more than 64 in one transaction slow down every snapshot on the
/// server). A failed condition raises, PostgreSQL aborts the batch, and the loop rolls back, fails
/// only the write that raised and sends the others again. Conditions fail rarely (a fenced owner, a
/// reused key), so the common path is exactly one round trip.</para>
/// </remarks>
internal sealed partial class PostgresWriteQueue : IAsyncDisposable
{
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
    public Task<T> Enqueue<T>(Action<PostgresBatch> build, Func<T> result)
    {
        var write = new PostgresWrite<T>(build, result);
        if (!queue.Writer.TryWrite(write))
        {
            return Task.FromException<T>(new StorageException("The PostgreSQL store is closed.", isTransient: true));
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
                foreach (var write in pending)
                {
                    write.Complete();
                }

                return;
            }
            catch (PostgresException ex) when (!ex.IsTransient && sent?.Find(ex.BatchCommand) is ({ } failed, var conflict))
            {
                // Only the write that raised fails; the transaction is gone, so the others go again.
                failed.SetError(ToWriteError(ex, conflict));
                pending.Remove(failed);
            }
            catch (PostgresException ex) when (ex.IsTransient && connection?.State == System.Data.ConnectionState.Open && transientRetries < MaxTransientRetries)
            {
                transientRetries++;
                LogBatchRetried(logger, pending.Count, ex.SqlState);
            }
            catch (Exception ex)
            {
                // The connection broke or the server refused the batch as a whole (or a bug): nobody knows
                // which writes committed, so all fail as transient and are retried by their callers
                // (a retried enqueue finds its row by idempotency key; a retried commit is refused, and the
                // grain reloads, if the first attempt did commit).
                LogBatchFailed(logger, pending.Count, ex);
                var failure = new StorageException(
                    $"PostgreSQL write failed: {ex.Message}",
                    isTransient: ex is not NpgsqlException npgsql || npgsql.IsTransient || connection?.State != System.Data.ConnectionState.Open,
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

    private static Exception ToWriteError(PostgresException ex, string? conflict) => ex.SqlState switch
    {
        PostgresGrainStorage.ConditionFailed or PostgresErrorCodes.UniqueViolation =>
            new InconsistentStateException(conflict ?? $"A stored row conflicts with this write: {ex.MessageText}"),
        _ => new StorageException($"PostgreSQL refused a write ({ex.SqlState}): {ex.MessageText}", isTransient: false, ex),
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

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop.ConfigureAwait(false);
        await ResetConnectionAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A PostgreSQL write batch of {Count} writes failed and was rolled back")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A PostgreSQL write batch of {Count} writes was aborted by the server ({SqlState}) and is sent again")]
    private static partial void LogBatchRetried(ILogger logger, int count, string sqlState);
}
