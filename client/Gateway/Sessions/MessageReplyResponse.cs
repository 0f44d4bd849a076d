using System.Text.Json.Serialization;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The answer to <c>POST /v1/sessions/{id}/messages</c> once its run has ended (200).</summary>
/// <param name="SessionId">The session's id.</param>
/// <param name="RunId">The run that answered the message.</param>
/// <param name="Status">How the run ended: <c>completed</c>, <c>failed</c>, <c>cancelled</c> or <c>budget_exceeded</c>.</param>
/// <param name="Reply">The agent's final answer; null unless completed.</param>
/// <param name="Reason">Why the run ended otherwise.</param>
/// <param name="Messages">The number of messages in the session's history after the run.</param>
public sealed record MessageReplyResponse(
    string SessionId,
    string RunId,
    string Status,
    string? Reply,
    string? Reason,
    [property: JsonNumberHandling(JsonNumberHandling.Strict)] long Messages);
