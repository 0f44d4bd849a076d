namespace AgentGrains.Runtime.Cluster;

/// <summary>A read-only grain call sent to the silo that owns the grain.</summary>
/// <param name="Grain">The grain id, <c>type/key</c>.</param>
/// <param name="Method">The method's stored name (<c>Namespace.IInterface::Method</c>).</param>
/// <param name="Arguments">The arguments as a JSON array.</param>
public sealed record ReadOnlyRequest(string Grain, string Method, string Arguments);
