
namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>No run (or no tool call in it) has that id.</summary>
public sealed class RunNotFoundException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => false;
}
