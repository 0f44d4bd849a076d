using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Sessions;
using AgentGrains.Grains.Telemetry;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Memory;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Runs;

/// <summary>The run engine of one session: every decision about its runs, as changes to its state and appends to its streams.</summary>
/// <remarks>
/// <para>A plain class: the grain that drives it owns the activation, the commit and the slow calls.
/// Each public method either refuses before changing anything (an exception) or changes the
/// session's state and stages appends through <see cref="ISessionLog"/>, and records in
/// <see cref="TakeEffects"/> what the grain must do besides (reminders, the driver, work after the
/// commit). The grain commits the state with the appends in one step, so a change is either all
/// journaled or not at all.</para>
/// <para><b>Journal before use.</b> A model reply is journaled before any call of it with side effects
/// runs; a result is journaled before the next model call sees it. The state is the journal's
/// materialized view, so a new activation continues at the first step without an outcome
/// (<see cref="PlanAsync"/>) and never asks again for what was journaled.</para>
/// </remarks>
public sealed partial class RunEngine
{
    /// <summary>The reminder that restarts a running run's driver when it is missing or stalled.</summary>
    public const string WatchdogReminder = "run-watchdog";

    /// <summary>The one-shot reminder that denies the calls a run waits on when nobody decides in time.</summary>
    public const string ApprovalReminder = "run-approval-timeout";

    /// <summary>The longest user message accepted, in characters.</summary>
    public const int MaxInputLength = 256 * 1024;

    private readonly string sessionId;
    private readonly Func<AgentSessionState> session;
    private readonly ISessionLog log;
    private readonly AgentCatalog catalog;
    private readonly ToolRegistry tools;
    private readonly ModelOptions modelOptions;
    private readonly DelegationOptions delegation;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly string silo;
    private SessionEffects effects = new();

    /// <summary>Creates the engine of one session's activation.</summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="session">The session's state as last loaded (a function: the grain may reload it).</param>
    /// <param name="log">The session's streams.</param>
    /// <param name="catalog">The agents.</param>
    /// <param name="tools">The tools.</param>
    /// <param name="modelOptions">Model settings (the default model and prices).</param>
    /// <param name="delegation">Delegation limits.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">Where decisions are logged.</param>
    /// <param name="silo">The silo running this activation (shown on runs it drives).</param>
    /// <param name="deniedTools">The tools and specialists the session's tenant may not use; none when null.</param>
    public RunEngine(
        string sessionId,
        Func<AgentSessionState> session,
        ISessionLog log,
        AgentCatalog catalog,
        ToolRegistry tools,
        ModelOptions modelOptions,
        DelegationOptions delegation,
        TimeProvider timeProvider,
        ILogger logger,
        string silo,
        IReadOnlyCollection<string>? deniedTools = null)
    {
        this.sessionId = sessionId;
        denied = deniedTools is { Count: > 0 } ? new HashSet<string>(deniedTools, StringComparer.Ordinal) : null;
        this.session = session;
        this.log = log;
        this.catalog = catalog;
        this.tools = tools;
        this.modelOptions = modelOptions;
        this.delegation = delegation;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.silo = silo;
    }

    private AgentSessionState Session => session();

    // The tools (and specialists) the session's tenant may not use (Tenants:<tenant>:DeniedTools); null for none.
    private readonly HashSet<string>? denied;

    /// <summary>Whether the session's tenant may not use the tool or specialist <paramref name="name"/> (by the model's name or the name agents use).</summary>
    public bool IsDenied(string name) =>
        denied is not null
        && (denied.Contains(name) || (tools.TryGet(name, out var tool) && (denied.Contains(tool.Name) || (tool.Alias is { } alias && denied.Contains(alias)))));

    /// <summary>The tools of <paramref name="agent"/> its calls may run: its tools less those the tenant may not use.</summary>
    public IReadOnlyCollection<string> AllowedTools(AgentDefinition agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return denied is null ? agent.Tools : [.. agent.Tools.Where(t => !IsDenied(t))];
    }

    /// <summary>The session's user (set once, when it is created); null for a session without one.</summary>
    public string? UserId => Session.UserId;

    /// <summary>Who created the session (set once); null for nobody in particular.</summary>
    public string? Owner => Session.Owner;

    /// <summary>Whether anything was changed or asked for since the last <see cref="TakeEffects"/>.</summary>
    public bool HasChanges => !effects.IsEmpty;

    /// <summary>What the changes since the last call ask of the grain; starts a new, empty set.</summary>
    public SessionEffects TakeEffects()
    {
        var taken = effects;
        effects = new SessionEffects();
        return taken;
    }

    /// <summary>On activation: a running run continues from its journal (no driver survives its activation).</summary>
    /// <returns>Whether a run resumes.</returns>
    public bool Activate()
    {
        if (Session.Active is not { Status: RunStatus.Running } active)
        {
            return false;
        }

        // Whatever stopped the last driver (a crash, a takeover, an idle deactivation), the run continues from its journal here.
        effects.StartDriver($"resumed from its journal on silo {silo}");
        LogResuming(logger, sessionId, active.RunId, active.Steps.Count);
        return true;
    }

    /// <summary>Creates the session for <paramref name="agent"/> and user <paramref name="userId"/> (or none); the same agent and user again changes nothing.</summary>
    /// <exception cref="UnknownAgentException">No agent of that name is defined.</exception>
    /// <exception cref="SessionConflictException">The session exists for another agent or another user.</exception>
    /// <exception cref="ArgumentException">The user id is not valid.</exception>
    public SessionInfo Create(string agent, string? userId = null, string? owner = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agent);
        if (userId is not null)
        {
            UserIds.Validate(userId, nameof(userId));
        }

        catalog.Get(agent);
        if (Session.Agent is { } existing)
        {
            if (!string.Equals(existing, agent, StringComparison.Ordinal))
            {
                throw new SessionConflictException($"Session '{sessionId}' already exists for agent '{existing}'; it cannot be created again for agent '{agent}'.");
            }

            // The user is not named: the session may belong to someone else, and the caller may not know who.
            return string.Equals(Session.UserId, userId, StringComparison.Ordinal)
                ? new SessionInfo(sessionId, existing, Created: false, Session.UserId, Session.Owner)
                : throw new SessionConflictException($"Session '{sessionId}' already exists for {(Session.UserId is null ? "no user" : "another user")}; it cannot be created again {(userId is null ? "without a user" : "for this user")}.");
        }

        Session.Agent = agent;
        Session.UserId = userId;
        Session.Owner = owner;
        Session.CreatedAt = timeProvider.GetUtcNow();
        effects.MarkChanged();
        LogCreated(logger, sessionId, agent);
        return new SessionInfo(sessionId, agent, Created: true, userId, owner);
    }

    /// <summary>Accepts a user message: starts its run, or queues it behind the active one.</summary>
    /// <exception cref="SessionNotFoundException">The session was never created.</exception>
    /// <exception cref="ArgumentException">The text is empty or too long.</exception>
    /// <exception cref="SessionBusyException">The agent refuses messages during a run, or the queue is full.</exception>
    /// <param name="text">The message.</param>
    /// <param name="traceParent">The W3C trace context the message came with (its run's span is parented to it), or null.</param>
    public RunSubmission Submit(string text, string? traceParent = null)
    {
        var agentName = Session.Agent
            ?? throw new SessionNotFoundException($"Session '{sessionId}' does not exist; create it before sending messages.");
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("The message text is empty.", nameof(text));
        }

        if (text.Length > MaxInputLength)
        {
            throw new ArgumentException($"The message has {text.Length} characters; at most {MaxInputLength} are accepted.", nameof(text));
        }

        // The agent answering now decides what a message arriving during a run does.
        var agent = catalog.Get(Session.CurrentAgent ?? agentName);
        var busy = Session.Active is not null || Session.Queue.Count > 0;
        if (busy && agent.WhenBusy == WhenBusy.Reject)
        {
            throw new SessionBusyException($"Session '{sessionId}' is running {Session.Active?.RunId ?? Session.Queue[0].RunId}; agent '{agentName}' refuses new messages until it ends. Wait for it or cancel it.");
        }

        if (busy && agent.WhenBusy == WhenBusy.Enqueue && Session.Queue.Count >= agent.MaxQueuedMessages)
        {
            throw new SessionBusyException($"Session '{sessionId}' already has {Session.Queue.Count} messages waiting (the limit of agent '{agentName}'); wait for them or cancel some.");
        }

        var run = NewRun(text);
        run.TraceParent = traceParent;
        if (busy && agent.WhenBusy == WhenBusy.Interrupt)
        {
            // Runs end in number order (the runs log depends on it): the active run and everything
            // queued end, in order, before the new one starts.
            if (Session.Active is { } current)
            {
                FinishRun(current, RunStatus.Cancelled, $"interrupted by a newer message ({run.RunId})");
            }

            while (Session.Queue.Count > 0)
            {
                var queued = Session.Queue[0];
                Session.Queue.RemoveAt(0);
                FinishRun(queued, RunStatus.Cancelled, $"interrupted by a newer message ({run.RunId})");
            }
        }

        if (Session.Active is null && Session.Queue.Count == 0)
        {
            StartRun(run);
        }
        else
        {
            Session.Queue.Add(run);
            LogQueued(logger, sessionId, run.RunId, Session.Queue.Count);
        }

        effects.MarkChanged();
        return new RunSubmission(run.RunId, run.Status);
    }

    /// <summary>Starts a specialist run for a manager's call, creating the session for the specialist if needed.</summary>
    /// <exception cref="UnknownAgentException">No agent of that name is defined.</exception>
    /// <exception cref="ArgumentException">The agent has no contract, or the request is empty or too long.</exception>
    /// <exception cref="SessionConflictException">The session exists for another agent.</exception>
    /// <exception cref="SessionBusyException">The specialist's queue is full.</exception>
    /// <param name="request">The manager's call.</param>
    /// <param name="traceParent">The W3C trace context the request came with (the manager's tool call), or null.</param>
    public RunSubmission StartDelegated(DelegatedRun request, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Agent);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ParentRunId);
        ArgumentNullException.ThrowIfNull(request.Path);
        var agent = catalog.Get(request.Agent);
        if (agent.Contract is null)
        {
            throw new ArgumentException($"Agent '{request.Agent}' has no specialist contract; managers cannot call it.", nameof(request));
        }

        if (string.IsNullOrWhiteSpace(request.Input) || request.Input.Length > MaxInputLength)
        {
            throw new ArgumentException($"The request to specialist '{request.Agent}' is empty or longer than {MaxInputLength} characters.", nameof(request));
        }

        if (Session.Agent is { } existing && !string.Equals(existing, request.Agent, StringComparison.Ordinal))
        {
            throw new SessionConflictException($"Session '{sessionId}' exists for agent '{existing}'; it cannot run specialist '{request.Agent}'.");
        }

        var busy = Session.Active is not null || Session.Queue.Count > 0;
        if (busy && Session.Queue.Count >= agent.MaxQueuedMessages)
        {
            throw new SessionBusyException($"Specialist session '{sessionId}' already has {Session.Queue.Count} requests waiting (the limit of agent '{request.Agent}').");
        }

        // Every refusal is above: a refused request leaves the session as it was.
        if (Session.Agent is null)
        {
            Session.Agent = request.Agent;
            // A specialist works for the manager's user: with memory on, it remembers and recalls that user's facts.
            Session.UserId = request.UserId;
            Session.Owner = request.Owner;
            Session.CreatedAt = timeProvider.GetUtcNow();
        }

        var run = NewRun(request.Input);
        run.ParentRunId = request.ParentRunId;
        run.TraceParent = traceParent;
        run.Path = [.. request.Path, request.Agent];

        // A manager's calls queue behind each other whatever the agent's policy for people: refusing
        // or interrupting one would fail a sibling call of the same manager.
        if (busy)
        {
            Session.Queue.Add(run);
        }
        else
        {
            StartRun(run);
        }

        effects.MarkChanged();
        LogDelegated(logger, sessionId, run.RunId, request.ParentRunId, request.Agent);
        return new RunSubmission(run.RunId, run.Status);
    }

    /// <summary>Cancels a queued or active run; returns its view, or null when it has already ended (the caller reads it from the journal).</summary>
    /// <param name="runId">The run.</param>
    /// <param name="reason">Why; null for a person's request.</param>
    /// <exception cref="RunNotFoundException">No such run.</exception>
    public RunView? Cancel(string runId, string? reason)
    {
        var (run, agent) = FindForChange(runId);
        if (run is null)
        {
            return null;
        }

        if (run.Status == RunStatus.Queued)
        {
            // Ends when its turn in the queue comes, so runs still end in number order.
            run.CancelRequested = true;
            run.Reason = reason ?? "cancelled before it started";
        }
        else
        {
            FinishRun(run, RunStatus.Cancelled, reason ?? "cancelled by request");
            StartNextQueued();
        }

        effects.MarkChanged();
        LogCancelled(logger, sessionId, runId);
        return run.ToView(sessionId, agent, log.HistoryCount);
    }

    /// <summary>Approves or denies a call the run waits on; the run goes on once no call waits.</summary>
    /// <exception cref="RunNotFoundException">No such run, or no such call in it.</exception>
    /// <exception cref="RunConflictException">The run has ended, or the call does not wait for a decision.</exception>
    public RunView DecideApproval(string runId, string callId, bool approve)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callId);
        var (run, agent) = FindForChange(runId);
        if (run is null)
        {
            throw new RunConflictException($"Run '{runId}' has ended; it waits for no approval.");
        }

        var step = run.Steps.LastOrDefault();
        var call = step?.Calls.FirstOrDefault(c => string.Equals(c.CallId, callId, StringComparison.Ordinal))
            ?? throw new RunNotFoundException($"Run '{runId}' has no pending tool call '{callId}'.");
        if (call.Status != ToolCallStatus.AwaitingApproval)
        {
            throw new RunConflictException($"Tool call '{callId}' of run '{runId}' is {call.Status}; only a call awaiting approval can be approved or denied.");
        }

        Decide(run, step!, call, approve, approve ? "approved" : "denied by a person");
        ResumeIfDecided(run);
        effects.MarkChanged();
        return run.ToView(sessionId, agent, log.HistoryCount);
    }

    /// <summary>A reminder's tick: the watchdog restarts a missing or stalled driver; the approval timeout denies what still waits; any other tick unregisters its reminder.</summary>
    /// <param name="reminderName">The reminder that ticked.</param>
    /// <param name="driverAlive">Whether this activation has a driver for the active run.</param>
    public void Tick(string reminderName, bool driverAlive)
    {
        var run = Session.Active;
        switch (reminderName)
        {
            case WatchdogReminder when run is { Status: RunStatus.Running }:
                var agent = AgentOf(run);
                var idle = timeProvider.GetUtcNow() - run.LastProgressAt;
                if (!driverAlive)
                {
                    effects.StartDriver($"resumed from its journal by its watchdog on silo {silo}");
                }
                else if (idle >= agent.StallTimeout && !WaitsOnlyForSpecialists(run))
                {
                    LogStalled(logger, sessionId, run.RunId, idle.TotalSeconds);
                    effects.StartDriver($"no progress for {Seconds(idle)} s; resumed from its journal by its watchdog");
                }

                return;

            case ApprovalReminder when run is { Status: RunStatus.AwaitingApproval }:
                var waiting = AgentOf(run).ApprovalTimeout;
                var step = run.Steps[^1];
                foreach (var call in step.Calls.Where(c => c.Status == ToolCallStatus.AwaitingApproval))
                {
                    Decide(run, step, call, approve: false, $"approval timed out after {Seconds(waiting)} s");
                }

                ResumeIfDecided(run);
                effects.MarkChanged();
                return;

            default:
                // No run is going (the watchdog outlives a run, for the next), or it waits for a person
                // (its approval reminder watches it), or a decision came first: a leftover tick.
                effects.Unregister(reminderName);
                return;
        }
    }

    /// <summary>Lets go of what the engine keeps between runs (the conversation's tail), once no run is going: an idle session holds none.</summary>
    public void Rest()
    {
        if (Session.Active is null)
        {
            tail = null;
        }
    }

    /// <summary>Finds a queued or active run for a change; null when it has ended.</summary>
    private (RunState? Run, string Agent) FindForChange(string runId)
    {
        var agent = Session.Agent ?? throw new RunNotFoundException($"Run '{runId}' does not exist.");
        if (!RunIds.TryParse(runId, out var owner, out var number) || !string.Equals(owner, sessionId, StringComparison.Ordinal) || number > Session.Runs)
        {
            throw new RunNotFoundException($"Run '{runId}' does not exist in session '{sessionId}'.");
        }

        if (Session.Active is { } active && active.Number == number)
        {
            return (active, agent);
        }

        return (Session.Queue.FirstOrDefault(r => r.Number == number), agent);
    }

    private RunState NewRun(string input)
    {
        var run = new RunState
        {
            Number = ++Session.Runs,
            Input = input,
            SubmittedAt = timeProvider.GetUtcNow(),
        };
        run.RunId = RunIds.Format(sessionId, run.Number);
        return run;
    }

    private void StartRun(RunState run)
    {
        // A conversation handed to another agent stays with it for its next messages; a specialist's run keeps its agent.
        run.Agent ??= run.ParentRunId is null ? Session.CurrentAgent : null;
        var agent = AgentOf(run);
        var now = timeProvider.GetUtcNow();
        run.Status = RunStatus.Running;
        run.StartedAt = now;
        run.LastProgressAt = now;
        run.FirstEvent = log.EventCount;
        run.HistoryStart = log.HistoryCount;
        run.Silo = silo;
        Session.Active = run;
        AppendHistory(new HistoryEntry(HistoryMessages.User, run.Input, now));
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.Started, now, Text: run.Input, Status: RunStatus.Running));
        // The message is in the history and the journal now; the state, written on every step, keeps only its start.
        run.Input = RunState.Preview(run.Input);
        effects.Register(WatchdogReminder, agent.WatchdogPeriod, agent.WatchdogPeriod);
        LogRunStarted(logger, sessionId, run.RunId);
        effects.StartDriver(resumeReason: null);
    }

    /// <summary>Ends <paramref name="run"/> (active or dequeued) and journals it; the caller starts the next.</summary>
    /// <remarks>
    /// The watchdog stays registered: the session's next run needs it again, so a session answering
    /// message after message writes it once, not twice a run. Its first tick with no run going
    /// unregisters it (<see cref="Tick"/>), off the path of any message.
    /// </remarks>
    private void FinishRun(RunState run, string status, string? reason)
    {
        var now = timeProvider.GetUtcNow();
        var awaitingApproval = run.AwaitingSince is not null;
        if (run.AwaitingSince is { } since)
        {
            run.ApprovalWait += now - since;
            run.AwaitingSince = null;
        }

        if (run.StartedAt is null)
        {
            run.FirstEvent = log.EventCount;
        }

        if (status != RunStatus.Completed && SpecialistRunsOf(run) is { } children)
        {
            var cancelReason = $"cancelled because its manager run {run.RunId} ended {status}";
            effects.CancelAfterCommit(children, cancelReason);
        }

        run.Status = status;
        run.Reason = reason;
        run.EndedAt = now;
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.Finished, now, Text: run.Reply, Status: status, Reason: reason));
        run.Messages = log.HistoryCount;
        log.AppendRun(run);
        Session.RunsFinished++;
        if (ReferenceEquals(Session.Active, run))
        {
            Session.Active = null;
            effects.StopDriver();
            if (awaitingApproval)
            {
                effects.Unregister(ApprovalReminder);
            }
        }

        if (status == RunStatus.Completed)
        {
            Session.Turns++;
        }

        if (AgentTelemetry.Runs.Enabled || AgentTelemetry.Source.HasListeners())
        {
            // For the run counter and the run's span, once committed; nothing to carry when nobody listens.
            effects.End(run.RunId, run.Agent ?? Session.Agent ?? string.Empty, status, reason);
        }

        LogRunFinished(logger, sessionId, run.RunId, status, reason ?? string.Empty);
    }

    /// <summary>Starts the first queued run that was not cancelled meanwhile (ending those that were).</summary>
    private void StartNextQueued()
    {
        while (Session.Active is null && Session.Queue.Count > 0)
        {
            var next = Session.Queue[0];
            Session.Queue.RemoveAt(0);
            if (next.CancelRequested)
            {
                FinishRun(next, RunStatus.Cancelled, next.Reason ?? "cancelled before it started");
                continue;
            }

            StartRun(next);
        }
    }

    private void Decide(RunState run, StepState step, ToolCallState call, bool approve, string reason)
    {
        var now = timeProvider.GetUtcNow();
        run.LastProgressAt = now;
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.ApprovalDecided, now, step.Number, Call: call.ToView(run.RunId, step.Number), Status: approve ? ToolCallStatus.Approved : ToolCallStatus.Denied, Reason: reason));
        if (approve)
        {
            call.Status = ToolCallStatus.Approved;
            return;
        }

        FinishCall(run, step, call, ToolCallStatus.Denied, $"error: the call was not run: {reason}.", durationMs: null);
    }

    /// <summary>Once no call waits for a decision: back to running (watchdog on, driver started).</summary>
    private void ResumeIfDecided(RunState run)
    {
        if (run.Steps[^1].Calls.Any(c => c.Status == ToolCallStatus.AwaitingApproval))
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        if (run.AwaitingSince is { } since)
        {
            run.ApprovalWait += now - since;
            run.AwaitingSince = null;
        }

        run.Status = RunStatus.Running;
        run.Reason = null;
        // The run goes on here: a decision may reach a new activation on another silo than the one
        // that asked for it (that silo died meanwhile), and the view must not name the old one.
        run.Silo = silo;
        var agent = AgentOf(run);
        effects.Unregister(ApprovalReminder);
        effects.Register(WatchdogReminder, agent.WatchdogPeriod, agent.WatchdogPeriod);
        effects.StartDriver(resumeReason: null);
    }

    private void AppendEvent(RunState run, RunEvent entry)
    {
        run.EventCount++;
        log.AppendEvent(entry with { Sequence = run.EventCount });
    }

    private void AppendHistory(HistoryEntry entry)
    {
        log.AppendHistory(entry);
        tail?.Add(HistoryMessages.ToChatMessage(entry));
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
