namespace AgentGrains.Storage.Journal;

/// <summary>A session's head as stored: its version, its state and the length of each stream asked for.</summary>
/// <param name="Version">0 when the session never committed; every commit adds 1.</param>
/// <param name="State">The state payload of the last commit; null when <paramref name="Version"/> is 0.</param>
/// <param name="StreamLengths">Rows in each stream asked for (0 for an empty one).</param>
public sealed record JournalHead(long Version, string? State, IReadOnlyDictionary<string, long> StreamLengths);
