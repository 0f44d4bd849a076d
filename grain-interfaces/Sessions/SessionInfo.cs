using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>A session as created.</summary>
/// <param name="SessionId">The session's key.</param>
/// <param name="Agent">The agent definition it talks to.</param>
/// <param name="Created">Whether this call created it (false: it already existed for the same agent).</param>
/// <param name="UserId">The user whose long-term memory it uses; null for none.</param>
/// <param name="Owner">Who created it (an API key's name); null for nobody in particular.</param>
[GenerateSerializer]
[Alias("agentgrains.SessionInfo")]
public sealed record SessionInfo(string SessionId, string Agent, bool Created, string? UserId = null, string? Owner = null);
