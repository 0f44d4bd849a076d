namespace AgentGrains.Storage.Journal.Postgres;

/// <summary>One write waiting in a <see cref="PostgresWriteQueue"/>.</summary>
/// <remarks>
/// A write is a few statements added to a group commit. It may be built more than once: when
/// another write of the same batch fails, the transaction is rolled back and the others are sent
/// again, so <see cref="Build"/> must start from scratch each time.
/// </remarks>
internal abstract class PostgresWrite
{
    /// <summary>Adds this write's statements to the batch being built.</summary>
    public abstract void Build(PostgresBatch batch);

    /// <summary>Marks the write failed; published after the batch ends.</summary>
    public abstract void SetError(Exception error);

    /// <summary>Completes the caller's task once the batch has committed or failed.</summary>
    public abstract void Publish();
}

/// <summary>A write whose result, <typeparamref name="T"/>, is known before it is sent (it reads nothing back).</summary>
/// <remarks>The result is published only after COMMIT: a caller never sees a success that a failed COMMIT undid.</remarks>
internal sealed class PostgresWrite<T>(Action<PostgresBatch> build, T result) : PostgresWrite
{
    private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? error;

    public Task<T> Task => completion.Task;

    public override void Build(PostgresBatch batch)
    {
        error = null;
        build(batch);
    }

    public override void SetError(Exception error) => this.error = error;

    public override void Publish()
    {
        if (error is null)
        {
            completion.TrySetResult(result);
        }
        else
        {
            completion.TrySetException(error);
        }
    }
}
