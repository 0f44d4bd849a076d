using AgentGrains.GrainInterfaces.Runs;
using Orleans;
using Orleans.Concurrency;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>One conversation with one agent: a durable grain keyed by session id.</summary>
/// <remarks>
/// <para>The session keeps its conversation (user, assistant and tool messages) and its runs'
/// journal as append-only rows; its small persistent state holds the agent name, counters, the
/// active run and the queue of messages behind it.</para>
/// <para>A user message starts a run (or queues behind the active one). A run is a sequence of
/// steps, each journaled in a short turn of its own, so the session answers queries,
/// cancellation and approvals while a run is in progress.</para>
/// </remarks>
[Alias("agentgrains.IAgentSessionGrain")]
public interface IAgentSessionGrain : IGrainWithStringKey
{
    /// <summary>Creates the session for <paramref name="agent"/> and, when given, the user <paramref name="userId"/>; calling it again with the same agent and user changes nothing.</summary>
    /// <remarks>The user owns the session's long-term memory (<c>remember</c>, <c>recall</c>, and the facts agents with memory are given); a session without one has none.</remarks>
    /// <exception cref="UnknownAgentException">No agent of that name is defined.</exception>
    /// <exception cref="SessionConflictException">The session exists for another agent or another user.</exception>
    /// <exception cref="ArgumentException">The user id is not valid (<see cref="Memory.UserIds"/>).</exception>
    /// <param name="agent">The agent.</param>
    /// <param name="userId">The user whose long-term memory it uses; null for none.</param>
    /// <param name="owner">Who creates it (the API key's name): approving its runs' calls is theirs, or an admin's; null for nobody in particular.</param>
    [Alias("CreateAsync")]
    Task<SessionInfo> CreateAsync(string agent, string? userId = null, string? owner = null);

    /// <summary>Accepts a user message and returns at once with the run that will answer it.</summary>
    /// <remarks>A repeated call with the same idempotency key returns the same run and adds nothing.</remarks>
    /// <exception cref="SessionNotFoundException">The session was never created.</exception>
    /// <exception cref="ArgumentException">The text is empty or too long.</exception>
    /// <exception cref="SessionBusyException">A run is active and the agent's policy is <c>reject</c>, or the queue is full.</exception>
    [Alias("SubmitAsync")]
    Task<RunSubmission> SubmitAsync(string text);

    /// <summary>Accepts a user message, then waits up to <paramref name="wait"/> for the run that answers it to end: one call where <see cref="SubmitAsync"/> and <see cref="WaitForRunAsync"/> are two.</summary>
    /// <remarks>
    /// The message is accepted as <see cref="SubmitAsync"/> accepts it, in a turn of the session, with
    /// the same idempotency rules (a retry with the same key and text gets the same run, whichever
    /// of the two methods sent it). The wait then interleaves like a read. Returns the run's view
    /// either way (the outcome only, not the run's steps: it often crosses silos): a run still going
    /// when the wait ends goes on. The wait also ends when the run pauses for a person's approval.
    /// </remarks>
    /// <exception cref="SessionNotFoundException">The session was never created.</exception>
    /// <exception cref="ArgumentException">The text is empty or too long.</exception>
    /// <exception cref="SessionBusyException">A run is active and the agent's policy is <c>reject</c>, or the queue is full.</exception>
    [AlwaysInterleave]
    [Alias("SubmitAndWaitAsync")]
    Task<SendResult> SubmitAndWaitAsync(string text, TimeSpan wait);

    /// <summary>Starts a specialist run for a manager's call: creates the session for the specialist agent if needed and submits the request.</summary>
    /// <remarks>
    /// Sent with the manager call's key as idempotency key, so a replayed or taken-over manager gets
    /// the run its first attempt started and never starts a second one.
    /// </remarks>
    /// <exception cref="UnknownAgentException">No agent of that name is defined.</exception>
    /// <exception cref="SessionConflictException">The session exists for another agent.</exception>
    [Alias("StartDelegatedAsync")]
    Task<RunSubmission> StartDelegatedAsync(DelegatedRun request);

    /// <summary>Cancels a queued or active run; its in-flight model and tool calls are abandoned.</summary>
    /// <exception cref="RunNotFoundException">No such run.</exception>
    /// <exception cref="RunConflictException">The run already ended otherwise.</exception>
    [Alias("CancelRunAsync")]
    Task<RunView> CancelRunAsync(string runId);

    /// <summary>Cancels a specialist run because the manager run that waits for it ended; as <see cref="CancelRunAsync"/>, with the reason naming the manager.</summary>
    /// <exception cref="RunNotFoundException">No such run.</exception>
    /// <exception cref="RunConflictException">The run already ended otherwise.</exception>
    [Alias("CancelWithManagerAsync")]
    Task<RunView> CancelWithManagerAsync(string runId, string reason);

    /// <summary>Approves or denies a tool call a run is waiting on; the run continues once every waiting call is decided.</summary>
    /// <exception cref="RunNotFoundException">No such run, or no such call in it.</exception>
    /// <exception cref="RunConflictException">The call is not waiting for a decision.</exception>
    [Alias("DecideApprovalAsync")]
    Task<RunView> DecideApprovalAsync(string runId, string callId, bool approve);

    /// <summary>The run as last committed, or <c>null</c> if there is none with that id.</summary>
    [AlwaysInterleave]
    [Alias("GetRunAsync")]
    Task<RunView?> GetRunAsync(string runId);

    /// <summary>Waits up to <paramref name="timeout"/> for the run to end; returns its view either way (null if unknown).</summary>
    [AlwaysInterleave]
    [Alias("WaitForRunAsync")]
    Task<RunView?> WaitForRunAsync(string runId, TimeSpan timeout);

    /// <summary>Waits up to <paramref name="timeout"/> for the run to end or to pause for a person's approval; returns its view either way (null if unknown).</summary>
    [AlwaysInterleave]
    [Alias("WaitForReplyAsync")]
    Task<RunView?> WaitForReplyAsync(string runId, TimeSpan timeout);

    /// <summary>The run's committed events after <paramref name="after"/>, waiting up to <paramref name="wait"/> for one if there is none yet.</summary>
    /// <exception cref="RunNotFoundException">No such run.</exception>
    [AlwaysInterleave]
    [Alias("GetRunEventsAsync")]
    Task<RunEventPage> GetRunEventsAsync(string runId, long after, TimeSpan wait);

    /// <summary>Up to <paramref name="limit"/> of the session's runs numbered below <paramref name="before"/>, newest first; <c>null</c> if the session was never created.</summary>
    /// <param name="before">Lists runs with a smaller number (a page's <see cref="RunPage.Next"/>); 0 or less starts at the newest.</param>
    /// <param name="limit">1 to <see cref="RunPage.MaxLimit"/>.</param>
    /// <remarks>Runs are numbered in the order they were submitted, so pages neither repeat nor skip a run while new ones arrive.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The limit is outside 1 to <see cref="RunPage.MaxLimit"/>.</exception>
    [AlwaysInterleave]
    [Alias("ListRunsAsync")]
    Task<RunPage?> ListRunsAsync(long before, int limit);

    /// <summary>The session without its history (cheap at any length), or <c>null</c> if it was never created.</summary>
    [AlwaysInterleave]
    [Alias("GetInfoAsync")]
    Task<SessionInfo?> GetInfoAsync();

    /// <summary>The session and its history, or <c>null</c> if it was never created.</summary>
    [AlwaysInterleave]
    [Alias("GetAsync")]
    Task<SessionView?> GetAsync();

    /// <summary>The whole conversation in order (empty if the session was never created).</summary>
    [AlwaysInterleave]
    [Alias("GetHistoryAsync")]
    Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync();
}
