
namespace AgentGrains.GrainInterfaces.Messages;

/// <summary>A message reused the idempotency key of an earlier message to the same session with another request.</summary>
/// <remarks>Nothing was processed for this message; the earlier message's outcome is unchanged.</remarks>
public sealed class MessageKeyReusedException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => false;
}
