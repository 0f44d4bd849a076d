namespace AgentGrains.GrainInterfaces.Messages;

/// <summary>The idempotency key a caller gives the message it sends to a session, carried in Orleans' request context.</summary>
/// <remarks>
/// <para>A session that accepts a message with a key records the key with the step that accepted
/// it, in the same commit. A retry with the same key (after a timeout, a silo's death, a lost
/// reply) gets the first outcome and changes nothing; the same key with another request is refused
/// (<see cref="MessageKeyReusedException"/>). A message without a key is processed at most once
/// per delivery, as any Orleans call.</para>
/// <para>The gateway gives every message a key (the client's <c>Idempotency-Key</c>, or one it
/// generates); specialist calls use keys derived from the manager's run, step and call index.</para>
/// </remarks>
public static class IdempotencyKey
{
    /// <summary>The request context entry that carries the key.</summary>
    public const string ContextKey = "agentgrains.idempotency-key";

    /// <summary>The longest key accepted, in characters.</summary>
    public const int MaxLength = 200;

    /// <summary>The key of the message being sent or handled, if any.</summary>
    public static string? Current => Orleans.Runtime.RequestContext.Get(ContextKey) as string;

    /// <summary>Sends the calls made until the scope is disposed with <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than <see cref="MaxLength"/>.</exception>
    public static IDisposable Use(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (key.Length > MaxLength)
        {
            throw new ArgumentException($"An idempotency key is at most {MaxLength} characters.", nameof(key));
        }

        var previous = Current;
        Orleans.Runtime.RequestContext.Set(ContextKey, key);
        return new Scope(previous);
    }

    private sealed class Scope(string? previous) : IDisposable
    {
        public void Dispose()
        {
            if (previous is null)
            {
                Orleans.Runtime.RequestContext.Remove(ContextKey);
            }
            else
            {
                Orleans.Runtime.RequestContext.Set(ContextKey, previous);
            }
        }
    }
}
