namespace AgentGrains.Storage.Journal;

/// <summary>Everything one step of a session writes, committed atomically or not at all.</summary>
/// <param name="SessionId">The session (its grain id).</param>
/// <param name="ExpectedVersion">The head version the writer read (0: the session has no head yet).</param>
/// <param name="State">The new state payload.</param>
/// <param name="Appends">Rows to append; each position must be the next free one of its stream.</param>
/// <param name="Messages">Idempotency records of the messages this step accepted.</param>
/// <param name="At">When the step happened (stored with the rows).</param>
public sealed record JournalCommit(
    string SessionId,
    long ExpectedVersion,
    string State,
    IReadOnlyList<JournalAppend> Appends,
    IReadOnlyList<MessageRecord> Messages,
    DateTimeOffset At);
