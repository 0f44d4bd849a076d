namespace AgentGrains.Tests.Grains.Runs;

/// <summary>Holds a model call until the test releases it, and tells the test when the call started and whether it was cancelled.</summary>
internal sealed class ModelGate
{
    private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a call reached the gate.</summary>
    public Task Entered => entered.Task;

    /// <summary>Completes when the call held at the gate was cancelled by its caller.</summary>
    public Task Cancelled => cancelled.Task;

    /// <summary>Lets the held call (and any later one) through.</summary>
    public void Release() => released.TrySetResult();

    /// <summary>Called by the model: waits until released; throws if the caller cancels first.</summary>
    public async Task PassAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() => cancelled.TrySetResult());
        entered.TrySetResult();
        await released.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Waits for <paramref name="task"/> with a bounded timeout whose failure names <paramref name="expectation"/>.</summary>
    public static async Task WithinAsync(Task task, string expectation)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after 20 s waiting until {expectation}.");
        }
    }
}
