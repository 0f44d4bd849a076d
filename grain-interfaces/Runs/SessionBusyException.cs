
namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>The session has an active run and its agent's policy is <c>reject</c>, or its queue is full.</summary>
public sealed class SessionBusyException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => false;
}
