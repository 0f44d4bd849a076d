using AgentGrains.GrainInterfaces.Runs;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The answer to <c>GET /v1/sessions/{id}/runs</c>: one page of the session's runs, newest first.</summary>
/// <param name="Runs">The runs of this page.</param>
/// <param name="Next">The <c>cursor</c> of the next (older) page; null when this page holds the session's first run.</param>
public sealed record RunListResponse(IReadOnlyList<RunSummary> Runs, string? Next);
