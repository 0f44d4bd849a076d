namespace AgentGrains.Storage.Journal;

/// <summary>One row appended to a session's stream at position <paramref name="Sequence"/> (0-based, no gaps).</summary>
public sealed record JournalAppend(string Stream, long Sequence, string Payload);
