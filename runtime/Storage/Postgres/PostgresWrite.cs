namespace AgentGrains.Runtime.Storage.Postgres;

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

    /// <summary>Computes the result once the batch holding the write has committed.</summary>
    public abstract void Complete();

    /// <summary>Marks the write failed; published after the batch ends.</summary>
    public abstract void SetError(Exception error);

    /// <summary>Completes the caller's task once the batch has committed or failed.</summary>
    public abstract void Publish();
}

/// <summary>A write producing a <typeparamref name="T"/>.</summary>
/// <param name="build">Adds the statements; its row readers capture what <paramref name="result"/> needs.</param>
/// <param name="result">Builds the result after the commit from what the row readers captured.</param>
internal sealed class PostgresWrite<T>(Action<PostgresBatch> build, Func<T> result) : PostgresWrite
{
    private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? value;
    private Exception? error;

    public Task<T> Task => completion.Task;

    public override void Build(PostgresBatch batch)
    {
        error = null;
        build(batch);
    }

    public override void Complete()
    {
        if (error is not null)
        {
            return;
        }

        try
        {
            value = result();
        }
        catch (Exception ex) when (ex is AgentGrainsException or InvalidOperationException or FormatException)
        {
            error = ex;
        }
    }

    public override void SetError(Exception error) => this.error = error;

    public override void Publish()
    {
        if (error is null)
        {
            completion.TrySetResult(value!);
        }
        else
        {
            completion.TrySetException(error);
        }
    }
}
