namespace AgentGrains.Cli.Http;

// The gateway's JSON as the CLI reads it (camelCase, unknown fields ignored); only what it shows.

/// <summary>A run: <c>GET /v1/runs/{runId}</c>.</summary>
internal sealed record RunDto(
    string RunId,
    string SessionId,
    string Agent,
    string Status,
    string? Reason,
    string? Input,
    string? Reply,
    IReadOnlyList<StepDto>? Steps,
    long InputTokens,
    long OutputTokens,
    decimal? Cost,
    double? DurationMs,
    DateTimeOffset? StartedAt,
    string? Silo,
    IReadOnlyList<ChildDto>? Children,
    long DelegatedTokens,
    decimal? DelegatedCost);

/// <summary>One step of a run: a model call and the tool calls of its reply.</summary>
internal sealed record StepDto(int Step, double ModelDurationMs, long InputTokens, long OutputTokens, IReadOnlyList<ToolCallDto>? ToolCalls);

/// <summary>One tool call of a run.</summary>
internal sealed record ToolCallDto(int Step, int CallIndex, string CallId, string Name, string? Arguments, string Status, string? Risk, double? DurationMs);

/// <summary>A specialist run under a manager run.</summary>
internal sealed record ChildDto(string RunId, string Agent, int Step, int CallIndex, string Status, string? Silo, long? Tokens, IReadOnlyList<ChildDto>? Children);

/// <summary>One event of a run's stream.</summary>
internal sealed record RunEventDto(
    long Sequence,
    string RunId,
    string Type,
    DateTimeOffset At,
    int? Step,
    string? Text,
    IReadOnlyList<ToolCallDto>? ToolCalls,
    ToolCallDto? Call,
    string? Status,
    string? Reason,
    long? InputTokens,
    long? OutputTokens,
    string? ChildRunId,
    IReadOnlyList<string>? Path,
    string? Agent)
{
    /// <summary>Whether this is the followed run's own event, not a specialist's.</summary>
    public bool IsRoot => Path is null || Path.Count == 0;
}

/// <summary>An event as the stream carried it: its id (for Last-Event-ID) and the event.</summary>
internal sealed record StreamedEvent(string Id, RunEventDto Event);

/// <summary><c>POST /v1/sessions</c>.</summary>
internal sealed record SessionCreatedDto(string SessionId, string Agent, string? UserId);

/// <summary><c>POST /v1/sessions/{id}/messages</c>: 200 (ended) or 202 (accepted).</summary>
internal sealed record MessageAcceptedDto(string RunId, string Status, string? Reply, string? Reason);

/// <summary><c>GET /v1/cluster</c>.</summary>
internal sealed record ClusterDto(IReadOnlyList<SiloDto> Silos);

/// <summary>One silo.</summary>
internal sealed record SiloDto(string Id, string Address, string Status, DateTimeOffset LastHeartbeat, int Activations);

/// <summary><c>GET /v1/sessions</c>.</summary>
internal sealed record SessionListDto(IReadOnlyList<SessionSummaryDto> Sessions, string? Next);

/// <summary>One session of a listing.</summary>
internal sealed record SessionSummaryDto(string SessionId, string Agent, string? CurrentAgent, string Status, string? ActiveRunId, long Runs, DateTimeOffset CreatedAt, DateTimeOffset LastActivityAt);

/// <summary><c>GET /v1/agents</c>.</summary>
internal sealed record AgentListDto(IReadOnlyList<AgentDto> Agents);

/// <summary>One agent definition.</summary>
internal sealed record AgentDto(string Name, string? Description, IReadOnlyList<string>? Tools, IReadOnlyList<string>? Specialists, IReadOnlyList<string>? Handoffs);

/// <summary><c>GET /v1/users/{userId}/memories</c>.</summary>
internal sealed record MemoryListDto(string UserId, IReadOnlyList<MemoryFactDto> Facts, string? Next);

/// <summary>One fact an agent remembered about a user, and where it was told.</summary>
internal sealed record MemoryFactDto(long Id, string Text, string? SessionId, string? RunId, int? Step, DateTimeOffset CreatedAt);

/// <summary><c>DELETE /v1/users/{userId}/memories</c>.</summary>
internal sealed record MemoriesDeletedDto(string UserId, int Deleted);

/// <summary>An RFC 7807 problem.</summary>
internal sealed record ProblemDto(string? Title, string? Detail, int? Status);
