namespace AgentGrains.Runtime;

/// <summary>Names the grain type of a grain interface (the first part of its <see cref="GrainId"/>).</summary>
/// <remarks>
/// Without it the name is derived from the interface: <c>IAgentSessionGrain</c> becomes
/// <c>agent-session</c>. The name is part of every stored row, so renaming it orphans data.
/// </remarks>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    /// <summary>The grain type name.</summary>
    public string Name { get; } = name;
}
