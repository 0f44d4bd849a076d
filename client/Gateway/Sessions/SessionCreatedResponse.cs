namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The answer to <c>POST /v1/sessions</c>.</summary>
/// <param name="SessionId">The session's id (the one sent, or the generated one).</param>
/// <param name="Agent">The agent definition the session talks to.</param>
/// <param name="UserId">The user whose long-term memory it uses; null for none.</param>
public sealed record SessionCreatedResponse(string SessionId, string Agent, string? UserId);
