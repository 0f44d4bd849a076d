namespace AgentGrains.Storage;

/// <summary>A database refused or failed a read or write; <see cref="IsTransient"/> says whether a retry can help.</summary>
/// <remarks>
/// Storage sits below the project's API: the grains turn these into the API's own exceptions, so
/// a caller of a grain never needs this assembly.
/// </remarks>
public sealed class StorageException(string message, bool isTransient, Exception? innerException = null)
    : Exception(message, innerException)
{
    /// <summary>Whether the same operation may succeed if retried.</summary>
    public bool IsTransient { get; } = isTransient;
}
