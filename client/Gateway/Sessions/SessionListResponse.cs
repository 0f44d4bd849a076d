using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The answer to <c>GET /v1/sessions</c>: one page of sessions in session id order.</summary>
/// <param name="Sessions">The sessions of this page.</param>
/// <param name="Next">The <c>cursor</c> of the next page; null when this page is the last.</param>
public sealed record SessionListResponse(IReadOnlyList<SessionSummary> Sessions, string? Next);
