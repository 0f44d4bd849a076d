using System.Text.Json.Serialization;

namespace AgentGrains.Client.Gateway.Runs;

/// <summary>The body of <c>POST /v1/runs/{runId}/approvals/{callId}</c>.</summary>
/// <param name="Approve">True runs the tool call; false denies it (the model is told so).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ApprovalRequest(bool? Approve);
