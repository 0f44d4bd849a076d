using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>A tool call requested by the model.</summary>
/// <param name="Id">The call id that the matching tool message answers.</param>
/// <param name="Name">The tool's name.</param>
/// <param name="Arguments">The arguments as JSON text.</param>
[GenerateSerializer]
[Alias("agentgrains.ToolCallEntry")]
public sealed record ToolCallEntry(string Id, string Name, string Arguments);
