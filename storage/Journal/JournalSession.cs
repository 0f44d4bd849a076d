namespace AgentGrains.Storage.Journal;

/// <summary>A session's head as a listing returns it.</summary>
/// <param name="SessionId">The session (its grain id).</param>
/// <param name="Version">The head's version (1 or more).</param>
/// <param name="State">The state payload of its last commit, verbatim.</param>
/// <param name="Label">The label its first commit gave it (<see cref="JournalCommit.Label"/>); null for none.</param>
/// <param name="UpdatedAt">When its last commit happened (<see cref="JournalCommit.At"/>).</param>
public sealed record JournalSession(string SessionId, long Version, string State, string? Label, DateTimeOffset UpdatedAt);
