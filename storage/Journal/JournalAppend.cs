namespace AgentGrains.Storage.Journal;

/// <summary>One row appended to a session's stream at position <paramref name="Sequence"/> (0-based, no gaps).</summary>
/// <remarks>
/// The journal refuses a position already taken; keeping positions gap-free is the caller's part
/// (a stream's length is read as its last position + 1).
/// </remarks>
public sealed record JournalAppend(string Stream, long Sequence, string Payload);
