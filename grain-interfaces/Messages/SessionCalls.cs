
namespace AgentGrains.GrainInterfaces.Messages;

/// <summary>How callers of sessions tell a failure worth retrying (with the same idempotency key) from a refusal.</summary>
public static class SessionCalls
{
    /// <summary>Whether the same message may succeed if sent again with the same key: the session's silo died or was unreachable, the call timed out, or the activation was stale.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        AgentGrainsException project => project.IsTransient,
        Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException or TimeoutException => true,
        _ => false,
    };
}
