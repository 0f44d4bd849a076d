
namespace AgentGrains.GrainInterfaces.Messages;

/// <summary>The session could not take the message now: its activation turned out to be stale, or its storage failed transiently.</summary>
/// <remarks>Nothing of the message was committed. Retrying with the same idempotency key is safe and reaches the live activation.</remarks>
public sealed class SessionUnavailableException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => true;
}
