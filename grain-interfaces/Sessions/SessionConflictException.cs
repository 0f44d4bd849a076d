
namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>The session exists for a different agent.</summary>
public sealed class SessionConflictException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => false;
}
