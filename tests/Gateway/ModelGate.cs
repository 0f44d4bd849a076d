namespace AgentGrains.Tests.Gateway;

/// <summary>Holds a model call until the test releases it, and tells the test when one is waiting.</summary>
public sealed class ModelGate
{
    private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int waiting;

    /// <summary>How many calls have reached the gate so far.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>Called by the model: waits until <see cref="Release"/> (or the call is cancelled).</summary>
    public async Task PassAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref waiting);
        entered.TrySetResult();
        await released.Task.WaitAsync(cancellationToken);
    }

    public void Release() => released.TrySetResult();

    /// <summary>Waits until a model call is held at the gate.</summary>
    public async Task WaitEnteredAsync(string expectation)
    {
        try
        {
            await entered.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after 30 s waiting until {expectation}.");
        }
    }
}
