using System.Collections.Concurrent;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Messaging;

/// <summary>Callers waiting for durable messages, keyed by grain and idempotency key.</summary>
/// <remarks>
/// Waiting by idempotency key rather than by call is what makes duplicates cheap and exact: a
/// caller registers before its message is queued, so whichever processing completes the key
/// (the original, a recovery after restart) completes every caller with the one stored result.
/// </remarks>
internal sealed class CompletionRegistry
{
    private readonly ConcurrentDictionary<(GrainId Grain, string Key), TaskCompletionSource<Completion>> waiters = new();

    /// <summary>Returns the task that completes when the message with this key completes.</summary>
    public Task<Completion> Register(GrainId grain, string key) =>
        waiters.GetOrAdd((grain, key), static _ => new TaskCompletionSource<Completion>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>The messages callers are waiting for right now (a snapshot).</summary>
    public IReadOnlyList<(GrainId Grain, string Key)> Waiting => [.. waiters.Keys];

    /// <summary>Completes every caller waiting on the key.</summary>
    public void Complete(GrainId grain, string key, Completion completion)
    {
        if (waiters.TryRemove((grain, key), out var waiter))
        {
            waiter.TrySetResult(completion);
        }
    }

    /// <summary>Completes the callers of a stored message from its row.</summary>
    public void Complete(InboxRecord record) =>
        Complete(record.Grain, record.IdempotencyKey, new Completion(record.Status, record.Result, record.Error, null));

    /// <summary>Waits until no caller waits (every call in flight answered), at most <paramref name="limit"/> or until <paramref name="cancellationToken"/>.</summary>
    public async Task WaitUntilIdleAsync(TimeSpan limit, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(limit);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20), timeProvider);
        try
        {
            while (!waiters.IsEmpty && await timer.WaitForNextTickAsync(bounded.Token).ConfigureAwait(false))
            {
            }
        }
        catch (OperationCanceledException)
        {
            // Bounded on purpose: callers still waiting are failed by the stop that follows.
        }
    }

    /// <summary>Fails every waiting caller (silo stopping); their messages stay in the inbox.</summary>
    public void FailAll(Exception error)
    {
        foreach (var key in waiters.Keys)
        {
            Complete(key.Grain, key.Key, new Completion(InboxStatus.Pending, null, null, error));
        }
    }
}
