namespace AgentGrains.Tests.Infrastructure;

/// <summary>Holds model calls until the test releases them, and tells the test when one arrived and whether it was cancelled.</summary>
public sealed class ModelGate
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int waiting;

    /// <summary>Completes when a call reached the gate.</summary>
    public Task Entered => entered.Task;

    /// <summary>Completes when a call held at the gate was cancelled by its caller.</summary>
    public Task Cancelled => cancelled.Task;

    /// <summary>How many calls have reached the gate so far.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>Called by the model: waits until <see cref="Release"/>; throws if the caller cancels first.</summary>
    public async Task PassAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() => cancelled.TrySetResult());
        Interlocked.Increment(ref waiting);
        entered.TrySetResult();
        await released.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Lets the held calls (and every later one) through.</summary>
    public void Release() => released.TrySetResult();

    /// <summary>Waits (bounded) until a call reached the gate.</summary>
    public Task WaitEnteredAsync(string expectation) => WithinAsync(Entered, expectation);

    /// <summary>Waits for <paramref name="task"/> at most 30 s; the failure names <paramref name="expectation"/>.</summary>
    public static async Task WithinAsync(Task task, string expectation)
    {
        try
        {
            await task.WaitAsync(Limit, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {Limit.TotalSeconds} s waiting until {expectation}.");
        }
    }
}
