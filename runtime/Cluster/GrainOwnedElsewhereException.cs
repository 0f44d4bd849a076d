namespace AgentGrains.Runtime.Cluster;

/// <summary>An activation could not start because another live silo owns the grain.</summary>
/// <remarks>Internal routing signal: callers never see it; their calls are forwarded to <see cref="Owner"/>.</remarks>
internal sealed class GrainOwnedElsewhereException(GrainId grain, string owner)
    : Exception($"Grain {grain} is owned by silo {owner}.")
{
    public string Owner { get; } = owner;
}
