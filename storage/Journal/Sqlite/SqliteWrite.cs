namespace AgentGrains.Storage.Journal.Sqlite;

/// <summary>One write waiting in the <see cref="SqliteWriteQueue"/>.</summary>
internal abstract class SqliteWrite
{
    /// <summary>Runs the write inside the current batch transaction (inside its own savepoint).</summary>
    public abstract void Run(SqliteWriteQueue writer);

    /// <summary>Marks the write failed; published after the batch ends.</summary>
    public abstract void SetError(Exception error);

    /// <summary>Completes the caller's task once the batch has committed or failed.</summary>
    public abstract void Publish();
}

/// <summary>A write producing a <typeparamref name="T"/>.</summary>
/// <remarks>The result is published only after COMMIT: a caller never sees a success that a failed COMMIT undid.</remarks>
internal sealed class SqliteWrite<T>(Func<SqliteWriteQueue, T> body) : SqliteWrite
{
    private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? result;
    private Exception? error;

    public Task<T> Task => completion.Task;

    public override void Run(SqliteWriteQueue writer)
    {
        error = null;
        result = body(writer);
    }

    public override void SetError(Exception error) => this.error = error;

    public override void Publish()
    {
        if (error is null)
        {
            completion.TrySetResult(result!);
        }
        else
        {
            completion.TrySetException(error);
        }
    }
}
