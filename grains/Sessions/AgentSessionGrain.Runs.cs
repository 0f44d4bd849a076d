using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Reminders;

namespace AgentGrains.Grains.Sessions;

public sealed partial class AgentSessionGrain
{
    private const string WatchdogReminder = "run-watchdog";
    private const string ApprovalReminder = "run-approval-timeout";

    /// <inheritdoc />
    public async Task<RunSubmission> SubmitAsync(string text)
    {
        var agentName = Session.Agent
            ?? throw new SessionNotFoundException($"Session '{SessionId}' does not exist; create it before sending messages.");
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
            throw new SessionBusyException($"Session '{SessionId}' is running {Session.Active?.RunId ?? Session.Queue[0].RunId}; agent '{agentName}' refuses new messages until it ends. Wait for it or cancel it.");
        }

        if (busy && agent.WhenBusy == WhenBusy.Enqueue && Session.Queue.Count >= agent.MaxQueuedMessages)
        {
            throw new SessionBusyException($"Session '{SessionId}' already has {Session.Queue.Count} messages waiting (the limit of agent '{agentName}'); wait for them or cancel some.");
        }

        var now = timeProvider.GetUtcNow();
        var run = new RunState
        {
            Number = ++Session.Runs,
            Input = text,
            SubmittedAt = now,
        };
        run.RunId = RunIds.Format(SessionId, run.Number);

        if (busy && agent.WhenBusy == WhenBusy.Interrupt)
        {
            // Runs end in number order (the runs log depends on it): the active run and everything
            // queued end, in order, before the new one starts.
            if (Session.Active is { } current)
            {
                await FinishRunAsync(current, RunStatus.Cancelled, $"interrupted by a newer message ({run.RunId})");
            }

            while (Session.Queue.Count > 0)
            {
                var queued = Session.Queue[0];
                Session.Queue.RemoveAt(0);
                await FinishRunAsync(queued, RunStatus.Cancelled, $"interrupted by a newer message ({run.RunId})");
            }
        }

        if (Session.Active is null && Session.Queue.Count == 0)
        {
            await StartRunAsync(run);
        }
        else
        {
            Session.Queue.Add(run);
            LogQueued(logger, SessionId, run.RunId, Session.Queue.Count);
        }

        await state.WriteStateAsync(stopping);
        PublishAfterCommit();
        return new RunSubmission(run.RunId, run.Status);
    }

    /// <inheritdoc />
    public Task<RunView> CancelRunAsync(string runId) => CancelAsync(runId, reason: null);

    /// <inheritdoc />
    public Task<RunView> CancelWithManagerAsync(string runId, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return CancelAsync(runId, reason);
    }

    /// <summary>Cancels a run; a null <paramref name="reason"/> is a person's request.</summary>
    private async Task<RunView> CancelAsync(string runId, string? reason)
    {
        var (run, agent) = FindForChange(runId);
        if (run is null)
        {
            return await ViewOfFinishedAsync(runId, expectStatus: RunStatus.Cancelled);
        }

        if (run.Status == RunStatus.Queued)
        {
            // Ends when its turn in the queue comes, so runs still end in number order.
            run.CancelRequested = true;
            run.Reason = reason ?? "cancelled before it started";
        }
        else
        {
            await FinishRunAsync(run, RunStatus.Cancelled, reason ?? "cancelled by request");
            await StartNextQueuedAsync();
        }

        await state.WriteStateAsync(stopping);
        PublishAfterCommit();
        LogCancelled(logger, SessionId, runId);
        return run.ToView(SessionId, agent, history.Count);
    }

    /// <inheritdoc />
    public async Task<RunView> DecideApprovalAsync(string runId, string callId, bool approve)
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
        await ResumeIfDecidedAsync(run);
        await state.WriteStateAsync(stopping);
        PublishAfterCommit();
        return run.ToView(SessionId, agent, history.Count);
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var run = Session.Active;
        switch (reminderName)
        {
            case WatchdogReminder when run is { Status: RunStatus.Running }:
                var agent = AgentOf(run);
                var idle = timeProvider.GetUtcNow() - run.LastProgressAt;
                if (!DriverAlive)
                {
                    StartDriver($"resumed from its journal by its watchdog on silo {RuntimeIdentity}");
                }
                else if (idle >= agent.StallTimeout && !WaitsOnlyForSpecialists(run))
                {
                    LogStalled(logger, SessionId, run.RunId, idle.TotalSeconds);
                    StartDriver($"no progress for {Seconds(idle)} s; resumed from its journal by its watchdog");
                }

                return;

            case ApprovalReminder when run is { Status: RunStatus.AwaitingApproval }:
                var waiting = AgentOf(run).ApprovalTimeout;
                var step = run.Steps[^1];
                foreach (var call in step.Calls.Where(c => c.Status == ToolCallStatus.AwaitingApproval))
                {
                    Decide(run, step, call, approve: false, $"approval timed out after {Seconds(waiting)} s");
                }

                await ResumeIfDecidedAsync(run);
                await state.WriteStateAsync(stopping);
                PublishAfterCommit();
                return;

            default:
                // The run it watched has ended (or moved on): a leftover tick.
                await UnregisterReminder(new NamedReminder(reminderName));
                return;
        }
    }

    /// <summary>Finds a queued or active run for a change; null when it has ended.</summary>
    private (RunState? Run, string Agent) FindForChange(string runId)
    {
        var agent = Session.Agent ?? throw new RunNotFoundException($"Run '{runId}' does not exist.");
        if (!RunIds.TryParse(runId, out var sessionId, out var number) || !string.Equals(sessionId, SessionId, StringComparison.Ordinal) || number > Session.Runs)
        {
            throw new RunNotFoundException($"Run '{runId}' does not exist in session '{SessionId}'.");
        }

        if (Session.Active is { } active && active.Number == number)
        {
            return (active, agent);
        }

        return (Session.Queue.FirstOrDefault(r => r.Number == number), agent);
    }

    private async Task<RunView> ViewOfFinishedAsync(string runId, string expectStatus)
    {
        var view = await GetRunAsync(runId) ?? throw new RunNotFoundException($"Run '{runId}' does not exist.");
        return view.Status == expectStatus
            ? view
            : throw new RunConflictException($"Run '{runId}' has already ended: {view.Status}{(view.Reason is null ? string.Empty : $" ({view.Reason})")}.");
    }

    private async Task StartRunAsync(RunState run)
    {
        // A conversation handed to another agent stays with it for its next messages; a specialist's run keeps its agent.
        run.Agent ??= run.ParentRunId is null ? Session.CurrentAgent : null;
        var agent = AgentOf(run);
        var now = timeProvider.GetUtcNow();
        run.Status = RunStatus.Running;
        run.StartedAt = now;
        run.LastProgressAt = now;
        run.FirstEvent = events.Count;
        run.HistoryStart = history.Count;
        run.Silo = RuntimeIdentity;
        Session.Active = run;
        AppendHistory(new HistoryEntry(HistoryMessages.User, run.Input, now));
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.Started, now, Text: run.Input, Status: RunStatus.Running));
        // The message is in the history and the journal now; the state, written on every step, keeps only its start.
        run.Input = RunState.Preview(run.Input);
        await RegisterOrUpdateReminder(WatchdogReminder, agent.WatchdogPeriod, agent.WatchdogPeriod);
        LogRunStarted(logger, SessionId, run.RunId);
        StartDriver(resumeReason: null);
    }

    /// <summary>Ends <paramref name="run"/> (active or dequeued) and journals it; the caller writes the state and starts the next.</summary>
    private async Task FinishRunAsync(RunState run, string status, string? reason)
    {
        var now = timeProvider.GetUtcNow();
        if (run.AwaitingSince is { } since)
        {
            run.ApprovalWait += now - since;
            run.AwaitingSince = null;
        }

        if (run.StartedAt is null)
        {
            run.FirstEvent = events.Count;
        }

        if (status != RunStatus.Completed)
        {
            CancelSpecialistsAfterCommit(run, status);
        }

        run.Status = status;
        run.Reason = reason;
        run.EndedAt = now;
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.Finished, now, Text: run.Reply, Status: status, Reason: reason));
        run.Messages = history.Count;
        runs.Append(run);
        Session.RunsFinished++;
        if (ReferenceEquals(Session.Active, run))
        {
            Session.Active = null;
            StopDriver();
            tail = null;
            await UnregisterReminder(new NamedReminder(WatchdogReminder));
            await UnregisterReminder(new NamedReminder(ApprovalReminder));
        }

        if (status == RunStatus.Completed)
        {
            Session.Turns++;
        }

        LogRunFinished(logger, SessionId, run.RunId, status, reason ?? string.Empty);
    }

    /// <summary>Starts the first queued run that was not cancelled meanwhile (ending those that were).</summary>
    private async Task StartNextQueuedAsync()
    {
        while (Session.Active is null && Session.Queue.Count > 0)
        {
            var next = Session.Queue[0];
            Session.Queue.RemoveAt(0);
            if (next.CancelRequested)
            {
                await FinishRunAsync(next, RunStatus.Cancelled, next.Reason ?? "cancelled before it started");
                continue;
            }

            await StartRunAsync(next);
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
    private async Task ResumeIfDecidedAsync(RunState run)
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
        var agent = AgentOf(run);
        await UnregisterReminder(new NamedReminder(ApprovalReminder));
        await RegisterOrUpdateReminder(WatchdogReminder, agent.WatchdogPeriod, agent.WatchdogPeriod);
        StartDriver(resumeReason: null);
    }

    private void AppendEvent(RunState run, RunEvent entry)
    {
        run.EventCount++;
        events.Append(entry with { Sequence = run.EventCount });
    }

    private void AppendHistory(HistoryEntry entry)
    {
        history.Append(entry);
        tail?.Add(HistoryMessages.ToChatMessage(entry));
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A reminder named for unregistering, whether or not this activation registered it.</summary>
    private sealed record NamedReminder(string ReminderName) : IGrainReminder;
}
