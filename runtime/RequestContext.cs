namespace AgentGrains.Runtime;

/// <summary>Ambient values attached to the grain calls made in the current async flow.</summary>
public static class RequestContext
{
    private static readonly AsyncLocal<string?> CurrentIdempotencyKey = new();

    /// <summary>The idempotency key that the next durable call made in this flow carries, if any.</summary>
    public static string? IdempotencyKey => CurrentIdempotencyKey.Value;

    /// <summary>Makes the durable calls made in this flow, until the scope is disposed, carry <paramref name="key"/>.</summary>
    /// <remarks>
    /// A second durable call to the same grain with the same key is not processed again: it
    /// returns the first call's result (or its error). Calls to different grains never collide.
    /// </remarks>
    public static IDisposable WithIdempotencyKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > MaxIdempotencyKeyLength)
        {
            throw new ArgumentException($"An idempotency key is at most {MaxIdempotencyKeyLength} characters.", nameof(key));
        }

        var previous = CurrentIdempotencyKey.Value;
        CurrentIdempotencyKey.Value = key;
        return new Scope(previous);
    }

    /// <summary>The longest idempotency key accepted.</summary>
    public const int MaxIdempotencyKeyLength = 200;

    private sealed class Scope(string? previous) : IDisposable
    {
        public void Dispose() => CurrentIdempotencyKey.Value = previous;
    }
}
