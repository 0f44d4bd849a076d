namespace AgentGrains.Storage.Journal;

/// <summary>A commit was refused because the session's journal moved on: another activation committed first, or the rows or keys it writes already exist.</summary>
/// <remarks>The writer's view of the session is stale: it must stop writing and reload (its activation deactivates).</remarks>
public sealed class JournalConflictException(string message) : Exception(message);
