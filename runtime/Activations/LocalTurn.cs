namespace AgentGrains.Runtime.Activations;

/// <summary>A turn a grain queued for itself with <see cref="Grain"/>.RunTurnAsync, waiting in its activation's queue.</summary>
/// <remarks>
/// The turn is bound to the grain instance that queued it: if the activation drops that instance
/// (a failed turn resets it) or closes before the turn runs, the turn fails and the delegate never
/// runs on an instance other than the one that asked.
/// </remarks>
internal abstract class LocalTurn(Grain instance)
{
    /// <summary>The grain instance that queued the turn.</summary>
    public Grain Instance { get; } = instance;

    /// <summary>Runs the delegate on the grain's scheduler and keeps its result; throws what the delegate threw.</summary>
    public abstract Task InvokeAsync();

    /// <summary>Completes the caller's task with the kept result (after the commit).</summary>
    public abstract void Succeed();

    /// <summary>Fails the caller's task.</summary>
    public abstract void Fail(Exception error);
}

/// <summary>A queued turn producing a <typeparamref name="T"/>.</summary>
internal sealed class LocalTurn<T>(Grain instance, Func<Task<T>> body) : LocalTurn(instance)
{
    private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? result;

    public Task<T> Task => completion.Task;

    public override async Task InvokeAsync() => result = await body();

    public override void Succeed() => completion.TrySetResult(result!);

    public override void Fail(Exception error) => completion.TrySetException(error);
}
