using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The answer to <c>GET /v1/sessions/{id}</c>: the session and its whole history in order.</summary>
/// <param name="SessionId">The session's id.</param>
/// <param name="Agent">The agent definition the session talks to.</param>
/// <param name="History">Every message of the conversation, oldest first.</param>
/// <param name="CurrentAgent">The agent answering new messages once a handoff moved the conversation; null while it is <paramref name="Agent"/>.</param>
/// <param name="UserId">The user whose long-term memory it uses; null for none.</param>
public sealed record SessionResponse(string SessionId, string Agent, IReadOnlyList<HistoryEntryResponse> History, string? CurrentAgent, string? UserId)
{
    internal static SessionResponse From(SessionView view) =>
        new(view.SessionId, view.Agent, [.. view.History.Select(HistoryEntryResponse.From)], view.CurrentAgent, view.UserId);
}
