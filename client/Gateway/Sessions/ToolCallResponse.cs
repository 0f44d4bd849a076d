namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>A tool call the model requested, as shown in a session's history.</summary>
/// <param name="Id">The call id that the matching tool message answers.</param>
/// <param name="Name">The tool's name.</param>
/// <param name="Arguments">The arguments as JSON text.</param>
public sealed record ToolCallResponse(string Id, string Name, string Arguments);
