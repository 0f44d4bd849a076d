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

/// <summary>The agent session on the project's own grain runtime, which Orleans replaces (see <see cref="AgentSessionGrain"/>): takes its messages, commits each change and keeps its runs going.</summary>
/// <remarks>
/// <para>A thin shell. Every decision about runs is made by a <see cref="RunEngine"/> (a plain class);
/// the grain applies what it asks for (<see cref="SessionEffects"/>: reminders, the driver,
/// cancellations after the commit), commits the state with the appended rows in one step, and
/// publishes the committed state to readers (<see cref="SessionReadModel"/>).</para>
/// <para><b>Storage.</b> The <c>session</c> state holds the agent name, counters, the active run
/// and the queue behind it. Three append-only logs hold everything that grows: <c>history</c>
/// (the conversation), <c>events</c> (the runs' journal) and <c>runs</c> (one row per finished run).</para>
/// <para><b>Steps.</b> A run is driven by a background task of the activation (the driver), which
/// makes the slow calls (<see cref="StepCalls"/>, specialists) outside any turn and journals each
/// outcome in a short turn of its own, so the session answers queries, cancellation and approvals
/// between steps.</para>
/// </remarks>
public sealed partial class RuntimeSessionGrain : Grain, IAgentSessionGrain, IRemindable
{
    private readonly IPersistentState<AgentSessionState> state;
    private readonly PersistentSessionLog log;
    private readonly AgentCatalog catalog;
    private readonly ToolRegistry tools;
    private readonly IChatClient model;
    private readonly ModelOptions modelOptions;
    private readonly DelegationOptions delegation;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<RuntimeSessionGrain> logger;

    private CancellationToken stopping;
    private RunEngine? engine;
    private StepCalls? calls;
    private SessionReadModel? reads;
    private bool publishQueued;

    /// <summary>Created by the runtime for each activation.</summary>
    public RuntimeSessionGrain(
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
        ILogger<RuntimeSessionGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(modelOptions);
        ArgumentNullException.ThrowIfNull(delegation);
        this.state = state;
        log = new PersistentSessionLog(history, events, runs);
        this.catalog = catalog;
        this.tools = tools;
        this.model = model;
        this.modelOptions = modelOptions.Value;
        this.delegation = delegation.Value;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    private string SessionId => this.GetPrimaryKeyString();

    private RunEngine Engine => engine ?? throw new InvalidOperationException("The session is not activated.");

    private StepCalls Calls => calls ?? throw new InvalidOperationException("The session is not activated.");

    private SessionReadModel Reads => reads ?? throw new InvalidOperationException("The session is not activated.");

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The token is the silo's: cancelled only when the silo is killed or its graceful stop has
        // given up. Model and tool calls use it so a crash-stop abandons them (the run resumes
        // from its journal on the next owner) instead of holding the silo.
        stopping = cancellationToken;
        engine = new RunEngine(SessionId, () => state.State, log, catalog, tools, modelOptions, delegation, timeProvider, logger, RuntimeIdentity);
        calls = new StepCalls(SessionId, engine, tools, model, timeProvider, logger);
        reads = new SessionReadModel(SessionId, log, timeProvider, stopping);
        reads.Publish(state.State);
        engine.Activate();
        await ApplyAsync();
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
        var info = Engine.Create(agent);
        await ApplyAsync();
        return info;
    }

    /// <inheritdoc />
    public async Task<RunSubmission> SubmitAsync(string text)
    {
        var submission = Engine.Submit(text);
        await ApplyAsync();
        return submission;
    }

    /// <inheritdoc />
    public async Task<RunSubmission> StartDelegatedAsync(DelegatedRun request)
    {
        var submission = Engine.StartDelegated(request);
        await ApplyAsync();
        return submission;
    }

    /// <inheritdoc />
    public Task<RunView> CancelRunAsync(string runId) => CancelAsync(runId, reason: null);

    /// <inheritdoc />
    public Task<RunView> CancelWithManagerAsync(string runId, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return CancelAsync(runId, reason);
    }

    /// <inheritdoc />
    public async Task<RunView> DecideApprovalAsync(string runId, string callId, bool approve)
    {
        var view = Engine.DecideApproval(runId, callId, approve);
        await ApplyAsync();
        return view;
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Engine.Tick(reminderName, DriverAlive);
        await ApplyAsync();
    }

    /// <inheritdoc />
    public Task<RunView?> GetRunAsync(string runId) => Reads.GetRunAsync(runId);

    /// <inheritdoc />
    public Task<RunView?> WaitForRunAsync(string runId, TimeSpan timeout) => Reads.WaitForRunAsync(runId, timeout);

    /// <inheritdoc />
    public Task<RunEventPage> GetRunEventsAsync(string runId, long after, TimeSpan wait) => Reads.GetRunEventsAsync(runId, after, wait);

    /// <inheritdoc />
    public Task<SessionInfo?> GetInfoAsync() =>
        Task.FromResult(Reads.Agent is { } agent ? new SessionInfo(SessionId, agent, Created: false) : null);

    /// <inheritdoc />
    public async Task<SessionView?> GetAsync() =>
        Reads.Agent is { } agent ? new SessionView(SessionId, agent, await Reads.ReadHistoryAsync(), Reads.CurrentAgent) : null;

    /// <inheritdoc />
    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync() =>
        Reads.Agent is null ? [] : await Reads.ReadHistoryAsync();

    /// <summary>Cancels a run; a null <paramref name="reason"/> is a person's request.</summary>
    private async Task<RunView> CancelAsync(string runId, string? reason)
    {
        if (Engine.Cancel(runId, reason) is not { } view)
        {
            var finished = await Reads.GetRunAsync(runId) ?? throw new RunNotFoundException($"Run '{runId}' does not exist.");
            return finished.Status == RunStatus.Cancelled
                ? finished
                : throw new RunConflictException($"Run '{runId}' has already ended: {finished.Status}{(finished.Reason is null ? string.Empty : $" ({finished.Reason})")}.");
        }

        await ApplyAsync();
        return view;
    }

    /// <summary>Applies what the engine's last change asks for, in this turn: reminders, the driver, the state write; after the commit, publication and cancellations.</summary>
    private async Task ApplyAsync()
    {
        var effects = Engine.TakeEffects();
        foreach (var change in effects.Reminders)
        {
            if (change.Due is not { } due)
            {
                await UnregisterReminder(new NamedReminder(change.Name));
            }
            else if (change.Period > TimeSpan.Zero)
            {
                await RegisterOrUpdateReminder(change.Name, due, change.Period);
            }
            else
            {
                await RegisterOrUpdateReminder(change.Name, due);
            }
        }

        if (effects.Driver is { } driver)
        {
            if (driver.Start)
            {
                StartDriver(driver.ResumeReason);
            }
            else
            {
                StopDriver();
            }
        }

        foreach (var cancellation in effects.Cancellations)
        {
            AfterCommit(() => _ = CancelSpecialistsAsync(cancellation.RunIds, cancellation.Reason));
        }

        if (effects.StateChanged)
        {
            await state.WriteStateAsync(stopping);
            PublishAfterCommit();
        }
    }

    /// <summary>Publishes the state as this turn leaves it, once the turn has committed (before its caller is answered).</summary>
    private void PublishAfterCommit()
    {
        if (publishQueued)
        {
            return;
        }

        publishQueued = true;
        AfterCommit(() =>
        {
            publishQueued = false;
            Reads.Publish(state.State);
        });
    }

    /// <summary>A reminder named for unregistering, whether or not this activation registered it.</summary>
    private sealed record NamedReminder(string ReminderName) : IGrainReminder;
}
