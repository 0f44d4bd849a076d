namespace AgentGrains.Storage.Journal;

/// <summary>One page of session heads, in session id order.</summary>
/// <param name="Sessions">The heads, ordered by session id (byte order).</param>
/// <param name="Next">Where the next page starts (its <see cref="JournalListQuery.After"/>); null when this page is the last.</param>
public sealed record JournalSessionPage(IReadOnlyList<JournalSession> Sessions, string? Next);
