namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>The outcome of one user message.</summary>
/// <param name="SessionId">The session's key.</param>
/// <param name="Reply">The agent's final answer for this message.</param>
/// <param name="Messages">The number of messages in the history after this turn.</param>
public sealed record SendResult(string SessionId, string Reply, long Messages);
