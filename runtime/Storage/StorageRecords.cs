namespace AgentGrains.Runtime.Storage;

/// <summary>The outcome of a message in the inbox.</summary>
internal enum InboxStatus
{
    /// <summary>Accepted, not yet processed.</summary>
    Pending = 0,

    /// <summary>Processed; the result is stored.</summary>
    Succeeded = 1,

    /// <summary>Processed; the grain method threw and the error is stored.</summary>
    Failed = 2,
}

/// <summary>A message to add to a grain's inbox.</summary>
internal sealed record InboxMessage(
    GrainId Grain,
    string IdempotencyKey,
    string Method,
    string Arguments,
    string? TraceParent,
    DateTimeOffset CreatedAt,
    string? ReplyTo = null);

/// <summary>A stored inbox row; <see cref="ReplyTo"/> is the silo waiting for its outcome, if not the processing one.</summary>
internal sealed record InboxRecord(
    long Id,
    GrainId Grain,
    string IdempotencyKey,
    string Method,
    string Arguments,
    string? TraceParent,
    InboxStatus Status,
    string? Result,
    string? Error,
    string? ReplyTo = null);

/// <summary>What <see cref="IGrainStorage.EnqueueAsync"/> found: a new row, or the existing row with the same key.</summary>
internal sealed record EnqueueResult(InboxRecord Record, bool Duplicate);

/// <summary>A stored named state.</summary>
internal sealed record StoredState(long Version, string Payload);

/// <summary>A staged write of a named state; <see cref="Payload"/> null deletes it.</summary>
internal sealed record StateWrite(string Name, string? Payload, long? ExpectedVersion);

/// <summary>A staged log entry.</summary>
internal sealed record LogAppend(string Stream, long Sequence, string Payload);

/// <summary>How a message ended.</summary>
internal sealed record MessageCompletion(long MessageId, InboxStatus Status, string? Result, string? Error);

/// <summary>A staged reminder registration (first due at <see cref="DueAt"/>, then every <see cref="Period"/>; zero: once), or removal when <see cref="DueAt"/> is null.</summary>
internal sealed record ReminderWrite(string Name, DateTimeOffset? DueAt, TimeSpan Period);

/// <summary>A stored reminder: first registered due time, next due time, period (zero for a one-shot).</summary>
internal sealed record ReminderRecord(GrainId Grain, string Name, DateTimeOffset FirstDueAt, DateTimeOffset DueAt, TimeSpan Period);

/// <summary>Everything one turn writes, committed atomically.</summary>
internal sealed record TurnCommit(
    GrainId Grain,
    long Epoch,
    MessageCompletion? Completion,
    IReadOnlyList<StateWrite> States,
    IReadOnlyList<LogAppend> Appends,
    DateTimeOffset At,
    IReadOnlyList<ReminderWrite>? Reminders = null);

/// <summary>The versions the committed state writes produced, in <see cref="TurnCommit.States"/> order (0 for a delete).</summary>
internal sealed record CommitResult(IReadOnlyList<long> Versions);
