using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Persistence;
using AgentGrains.Runtime.Reminders;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Grains.Sessions;

/// <summary>One conversation with one agent: turns each user message into a durable run of journaled steps.</summary>
/// <remarks>
/// <para><b>Storage.</b> The <c>session</c> state holds the agent name, counters, the active run
/// and the queue behind it. Three append-only logs hold everything that grows: <c>history</c>
/// (the conversation, one row per message), <c>events</c> (the runs' journal, one row per event)
/// and <c>runs</c> (one row per finished run, at position number − 1).</para>
/// <para><b>Steps.</b> A run is driven by a background task of the activation (the driver), which
/// makes the slow calls (model, tools) outside any turn and journals each outcome in a short turn
/// of its own (<see cref="Grain.RunTurnAsync{T}(Func{Task{T}})"/>), so the session answers
/// queries, cancellation and approvals between steps. Nothing is used before it is journaled:
/// a model reply commits before its side-effecting tool calls start, and a result commits before
/// the next model call sees it.</para>
/// <para><b>Replay.</b> The state is the journal's materialized view. When an activation starts
/// with a running run (after a crash, a takeover, a redeploy) the driver continues at the first
/// step without a journaled outcome: journaled replies and results are reused, never requested
/// again; a tool call without a result is invoked again with the same idempotency key.</para>
/// <para><b>Reads</b> see only what has committed: each turn's outcome is published after its
/// commit (<see cref="Published"/>), so a reader never sees a reply that a crash could still undo.</para>
/// </remarks>
public sealed partial class AgentSessionGrain : Grain, IAgentSessionGrain, IRemindable
{
    /// <summary>The longest user message accepted, in characters.</summary>
    public const int MaxInputLength = 256 * 1024;

    // For a session whose agent is no longer defined: only its reads still work.
    private const int FallbackWindow = 20;
    private const int ReadPageSize = 500;

    private readonly IPersistentState<AgentSessionState> state;
    private readonly IPersistentLog<HistoryEntry> history;
    private readonly IPersistentLog<RunEvent> events;
    private readonly IPersistentLog<RunState> runs;
    private readonly AgentCatalog catalog;
    private readonly ToolRegistry tools;
    private readonly IChatClient model;
    private readonly ModelOptions modelOptions;
    private readonly DelegationOptions delegation;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<AgentSessionGrain> logger;

    private CancellationToken stopping;

    /// <summary>Created by the runtime for each activation.</summary>
    public AgentSessionGrain(
        [PersistentState("session")] IPersistentState<AgentSessionState> state,
        [PersistentLog("history")] IPersistentLog<HistoryEntry> history,
        [PersistentLog("events")] IPersistentLog<RunEvent> events,
        [PersistentLog("runs")] IPersistentLog<RunState> runs,
        AgentCatalog catalog,
        ToolRegistry tools,
        IChatClient model,
        IOptions<ModelOptions> modelOptions,
        IOptions<DelegationOptions> delegation,
        TimeProvider timeProvider,
        ILogger<AgentSessionGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(modelOptions);
        ArgumentNullException.ThrowIfNull(delegation);
        this.state = state;
        this.history = history;
        this.events = events;
        this.runs = runs;
        this.catalog = catalog;
        this.tools = tools;
        this.model = model;
        this.modelOptions = modelOptions.Value;
        this.delegation = delegation.Value;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    private string SessionId => this.GetPrimaryKeyString();

    private AgentSessionState Session => state.State;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The token is the silo's: cancelled only when the silo is killed or its graceful stop has
        // given up. Model and tool calls use it so a crash-stop abandons them (the run resumes
        // from its journal on the next owner) instead of holding the silo.
        stopping = cancellationToken;
        Publish(Snapshot());
        if (Session.Active is { Status: RunStatus.Running } active)
        {
            // No driver survives its activation: whatever stopped the last one (a crash, a takeover,
            // an idle deactivation), the run continues from its journal here.
            StartDriver($"resumed from its journal on silo {RuntimeIdentity}");
            LogResuming(logger, SessionId, active.RunId, active.Steps.Count);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(CancellationToken cancellationToken)
    {
        StopDriver();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<SessionInfo> CreateAsync(string agent)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agent);
        catalog.Get(agent);
        if (Session.Agent is { } existing)
        {
            return string.Equals(existing, agent, StringComparison.Ordinal)
                ? new SessionInfo(SessionId, existing, Created: false)
                : throw new SessionConflictException($"Session '{SessionId}' already exists for agent '{existing}'; it cannot be created again for agent '{agent}'.");
        }

        Session.Agent = agent;
        Session.CreatedAt = timeProvider.GetUtcNow();
        await state.WriteStateAsync(stopping);
        PublishAfterCommit();
        LogCreated(logger, SessionId, agent);
        return new SessionInfo(SessionId, agent, Created: true);
    }

    /// <inheritdoc />
    public Task<SessionInfo?> GetInfoAsync() =>
        Task.FromResult(published.Agent is { } agent ? new SessionInfo(SessionId, agent, Created: false) : null);

    /// <inheritdoc />
    public async Task<SessionView?> GetAsync() =>
        published.Agent is { } agent ? new SessionView(SessionId, agent, await ReadHistoryAsync(), published.CurrentAgent) : null;

    /// <inheritdoc />
    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync() =>
        published.Agent is null ? [] : await ReadHistoryAsync();

    private async Task<IReadOnlyList<HistoryEntry>> ReadHistoryAsync()
    {
        var end = published.History;
        var entries = new List<HistoryEntry>((int)Math.Min(end, ReadPageSize));
        while (entries.Count < end)
        {
            var page = await history.ReadAsync(entries.Count, (int)Math.Min(ReadPageSize, end - entries.Count), stopping);
            if (page.Count == 0)
            {
                break;
            }

            entries.AddRange(page);
        }

        return entries;
    }
}
