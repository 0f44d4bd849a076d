namespace AgentGrains.Runtime;

/// <summary>A durable call reused an idempotency key of an earlier call to the same grain with other arguments or another method.</summary>
/// <remarks>Nothing was processed for this call; the earlier call's outcome is unchanged.</remarks>
public sealed class IdempotencyKeyReusedException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => false;
}
