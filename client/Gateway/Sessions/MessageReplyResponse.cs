using System.Text.Json.Serialization;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The answer to <c>POST /v1/sessions/{id}/messages</c>.</summary>
/// <param name="SessionId">The session's id.</param>
/// <param name="Reply">The agent's final answer to the message.</param>
/// <param name="Messages">The number of messages in the session's history after this turn.</param>
public sealed record MessageReplyResponse(
    string SessionId,
    string Reply,
    [property: JsonNumberHandling(JsonNumberHandling.Strict)] long Messages);
