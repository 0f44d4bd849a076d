
namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>The run is not in a status that allows the request (e.g. cancelling a completed run, approving a call nobody asked about).</summary>
public sealed class RunConflictException(string message) : AgentGrainsException(message)
{
    /// <inheritdoc />
    public override bool IsTransient => false;
}
