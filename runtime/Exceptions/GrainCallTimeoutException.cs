namespace AgentGrains.Runtime;

/// <summary>A grain call did not complete within the response timeout.</summary>
/// <remarks>
/// A durable call that timed out is still in the grain's inbox and will be processed; retry it
/// with the same idempotency key to get its result without processing it twice.
/// </remarks>
public sealed class GrainCallTimeoutException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => true;
}
