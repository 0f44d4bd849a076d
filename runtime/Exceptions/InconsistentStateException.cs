namespace AgentGrains.Runtime;

/// <summary>A state write was rejected because the stored version or ownership epoch moved on.</summary>
/// <remarks>The writing activation's view is stale; it is reset and nothing it staged is stored.</remarks>
public sealed class InconsistentStateException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => true;
}
