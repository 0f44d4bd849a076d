using System.Text.Json.Serialization;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The body of <c>POST /v1/sessions/{id}/messages</c>.</summary>
/// <remarks>Unknown properties are refused (400).</remarks>
/// <param name="Text">The user's message; not empty or whitespace.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SendMessageRequest(string Text);
