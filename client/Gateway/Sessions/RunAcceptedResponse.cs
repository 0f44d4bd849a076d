namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The answer to <c>POST /v1/sessions/{id}/messages</c> when the run has not ended yet (202).</summary>
/// <param name="RunId">The run that will answer the message; follow it at <c>/v1/runs/{runId}</c>.</param>
/// <param name="Status"><c>queued</c>, <c>running</c> or <c>awaiting_approval</c>.</param>
public sealed record RunAcceptedResponse(string RunId, string Status);
