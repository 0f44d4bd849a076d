namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>A session with its whole history.</summary>
public sealed record SessionView(string SessionId, string Agent, IReadOnlyList<HistoryEntry> History);
