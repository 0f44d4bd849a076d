namespace AgentGrains.Runtime;

/// <summary>The silo is not running (not started yet, stopping or stopped) and cannot take the call.</summary>
public sealed class SiloUnavailableException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => true;
}
