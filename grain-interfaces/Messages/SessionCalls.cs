
namespace AgentGrains.GrainInterfaces.Messages;

/// <summary>How callers of sessions tell a failure worth retrying (with the same idempotency key) from a refusal.</summary>
public static class SessionCalls
{
    /// <summary>How long a caller may take past the wait a call asks for before it abandons the call and sends it again (same key).</summary>
    /// <remarks>
    /// A call in flight to a silo that dies is never answered: Orleans fails it only at its response
    /// timeout (30 s by default). A commit takes milliseconds, so a call still unanswered this long
    /// after its wait is lost, and sending it again with the same key is safe.
    /// </remarks>
    public static readonly TimeSpan CallMargin = TimeSpan.FromSeconds(5);

    /// <summary>The longest one long poll of a session waits, well inside Orleans' response timeout (30 s by default); longer waits poll again.</summary>
    public static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(10);

    /// <summary>How long the next long poll may wait when <paramref name="remaining"/> is left of a caller's wait.</summary>
    public static TimeSpan NextPoll(TimeSpan remaining) =>
        remaining <= TimeSpan.Zero ? TimeSpan.Zero : remaining < MaxPoll ? remaining : MaxPoll;

    /// <summary>Whether the same message may succeed if sent again with the same key: the session's silo died or was unreachable, the call timed out, or the activation was stale.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        AgentGrainsException project => project.IsTransient,
        Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException or TimeoutException => true,
        _ => false,
    };
}
