using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>A session with its whole history.</summary>
/// <param name="SessionId">The session's key.</param>
/// <param name="Agent">The agent it was created for.</param>
/// <param name="History">The conversation, oldest first.</param>
/// <param name="CurrentAgent">The agent answering new messages once a handoff moved the conversation; null while it is <paramref name="Agent"/>.</param>
/// <param name="UserId">The user whose long-term memory it uses; null for none.</param>
[GenerateSerializer]
[Alias("agentgrains.SessionView")]
public sealed record SessionView(string SessionId, string Agent, IReadOnlyList<HistoryEntry> History, string? CurrentAgent = null, string? UserId = null);
