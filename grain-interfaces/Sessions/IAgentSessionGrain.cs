using AgentGrains.Runtime;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>One conversation with one agent: a durable grain keyed by session id.</summary>
/// <remarks>
/// The session keeps its whole conversation (user, assistant and tool messages) as append-only
/// rows; its small persistent state holds only the agent name and counters.
/// </remarks>
public interface IAgentSessionGrain : IGrainWithStringKey
{
    /// <summary>Creates the session for <paramref name="agent"/>; calling it again with the same agent changes nothing.</summary>
    /// <exception cref="UnknownAgentException">No agent of that name is defined.</exception>
    /// <exception cref="SessionConflictException">The session exists for another agent.</exception>
    Task<SessionInfo> CreateAsync(string agent);

    /// <summary>Sends a user message and returns the agent's reply once its turn (model and tool calls) is done.</summary>
    /// <exception cref="SessionNotFoundException">The session was never created.</exception>
    /// <exception cref="ArgumentException">The text is empty.</exception>
    Task<SendResult> SendAsync(string text);

    /// <summary>The session without its history (cheap at any length), or <c>null</c> if it was never created.</summary>
    [ReadOnly]
    Task<SessionInfo?> GetInfoAsync();

    /// <summary>The session and its history, or <c>null</c> if it was never created.</summary>
    [ReadOnly]
    Task<SessionView?> GetAsync();

    /// <summary>The whole conversation in order (empty if the session was never created).</summary>
    [ReadOnly]
    Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync();
}
