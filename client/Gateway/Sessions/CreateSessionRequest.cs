using System.Text.Json.Serialization;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The body of <c>POST /v1/sessions</c>.</summary>
/// <remarks>Unknown properties are refused (400), so a misspelt <c>sessionId</c> never silently creates a random one.</remarks>
/// <param name="Agent">The agent definition the session talks to, e.g. <c>assistant</c>.</param>
/// <param name="SessionId">The session id to use; omit it to get a generated one. 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-', starting with a letter or digit.</param>
/// <param name="UserId">The user the session belongs to, whose long-term memory its agents remember to and recall from (across all of the user's sessions); omit it for a session without memory. 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-', '@', '+', starting with a letter or digit.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateSessionRequest(string Agent, string? SessionId = null, string? UserId = null);
