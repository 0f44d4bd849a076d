
namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>No agent definition has the requested name.</summary>
public sealed class UnknownAgentException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => false;
}
