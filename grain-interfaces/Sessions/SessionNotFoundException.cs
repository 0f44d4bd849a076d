
namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>The session does not exist (it was never created).</summary>
public sealed class SessionNotFoundException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => false;
}
