using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>A session as a listing shows it, as last committed.</summary>
/// <param name="SessionId">The session's key.</param>
/// <param name="Agent">The agent it was created for.</param>
/// <param name="CurrentAgent">The agent answering new messages once a handoff moved the conversation; null while it is <paramref name="Agent"/>.</param>
/// <param name="Status">One of <see cref="SessionStatus"/>.</param>
/// <param name="ActiveRunId">The run in progress; null when idle.</param>
/// <param name="Runs">Runs submitted so far (the newest run's number).</param>
/// <param name="CreatedAt">When the session was created.</param>
/// <param name="LastActivityAt">When it last committed a change (a message, a step, a decision).</param>
[GenerateSerializer]
[Alias("agentgrains.SessionSummary")]
public sealed record SessionSummary(
    string SessionId,
    string Agent,
    string? CurrentAgent,
    string Status,
    string? ActiveRunId,
    long Runs,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActivityAt);
