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
    DateTimeOffset At)
{
    /// <summary>What the session is listed under (<see cref="JournalListQuery.Label"/>), e.g. its agent; null for nothing.</summary>
    /// <remarks>
    /// Stored by the commit that creates the head (<see cref="ExpectedVersion"/> 0) and ignored by
    /// every later one: a session keeps the label it was created with, so listing by label costs the
    /// session's steps nothing.
    /// </remarks>
    public string? Label { get; init; }
}
