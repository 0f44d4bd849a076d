namespace AgentGrains.Runtime;

/// <summary>The storage provider failed; <see cref="AgentGrainsException.IsTransient"/> says whether a retry can help.</summary>
public sealed class StorageException(string message, bool isTransient, Exception? innerException = null)
    : AgentGrainsException(message, innerException)
{
    /// <inheritdoc />
    public override bool IsTransient { get; } = isTransient;
}
