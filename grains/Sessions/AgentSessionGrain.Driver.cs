using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Sessions;

public sealed partial class AgentSessionGrain
{
    /// <summary>The longest tool result kept in the journal and shown to the model, in characters.</summary>
    public const int MaxToolResultLength = 16 * 1024;

    /// <summary>How many times a run may be resumed in a row without journaling a step or result before it fails.</summary>
    public const int MaxResumesWithoutProgress = 5;

    // The messages the model sees for the active run: the window before it and the run's own. Loaded
    // when a driver first plans a model call, dropped when the run ends, so an idle session holds none.
    private List<ChatMessage>? tail;

    // The driver of the active run. A new driver gets a new generation; a driver whose generation is
    // not the current one plans nothing more (its results, if still wanted, are still journaled).
    private int generation;
    private CancellationTokenSource? driverCancellation;
    private Task? driverTask;

    private bool DriverAlive => driverTask is { IsCompleted: false };

    /// <summary>Starts a new driver for the active run, stopping the current one; call on the grain's scheduler.</summary>
    /// <remarks>
    /// The driver's first act is a turn, which runs only after the current turn has committed, so a
    /// driver started from a turn never acts on writes that could still be rolled back.
    /// </remarks>
    private void StartDriver(string? resumeReason)
    {
        StopDriver();
        var current = ++generation;
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        driverCancellation = cancellation;
        var token = cancellation.Token;
        // Off the grain's scheduler: the driver is not grain code; it reaches grain state only through turns.
        driverTask = Task.Run(() => DriveAsync(current, resumeReason, token), CancellationToken.None);
    }

    private void StopDriver()
    {
        generation++;
        // Disposed here, on the grain's scheduler, and never by the driver: a driver that ended by
        // itself (its run waits for an approval) would otherwise leave a disposed source behind,
        // and the next stop (the approval, a cancellation, a deactivation) would throw on it.
        // A driver still running holds only the cancelled token, which stays valid.
        if (driverCancellation is { } cancellation)
        {
            cancellation.Cancel();
            cancellation.Dispose();
        }

        driverCancellation = null;
        driverTask = null;
    }

    private async Task DriveAsync(int driver, string? resumeReason, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var reason = resumeReason;
                resumeReason = null;
                var plan = await RunTurnAsync(() => PlanAsync(driver, reason)).ConfigureAwait(false);
                switch (plan)
                {
                    case ModelPlan call:
                        var outcome = await CallModelAsync(call, cancellationToken).ConfigureAwait(false);
                        var early = outcome.Response is { } response ? await RunEarlyToolsAsync(call, response, cancellationToken).ConfigureAwait(false) : null;
                        cancellationToken.ThrowIfCancellationRequested();
                        await RunTurnAsync(() => RecordModelReplyAsync(call, outcome, early)).ConfigureAwait(false);
                        break;
                    case ToolsPlan calls:
                        // In parallel: tools, and specialist runs on whichever silos own their sessions.
                        await Task.WhenAll(calls.Calls.Select(c => RunToolAsync(calls, c, cancellationToken))).ConfigureAwait(false);
                        break;
                    default:
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the run ended, was cancelled, or another driver took over.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The activation was reset or closed under the driver: a turn could not run or commit.
            // Nothing unjournaled is lost for good; the next activation or the watchdog resumes the run.
            LogDriverStopped(logger, SessionId, ex.Message, ex);
        }
    }

    /// <summary>Decides the driver's next action from the journal (a turn).</summary>
    private async Task<DriverPlan?> PlanAsync(int driver, string? resumeReason)
    {
        if (driver != generation || Session.Active is not { Status: RunStatus.Running } run)
        {
            return null;
        }

        var agent = AgentOf(run);
        var now = timeProvider.GetUtcNow();
        var dirty = false;
        if (resumeReason is not null)
        {
            AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.Resumed, now, run.Steps.Count, Status: RunStatus.Running, Reason: resumeReason));
            run.LastProgressAt = now;
            run.Silo = RuntimeIdentity;
            run.Resumes++;
            dirty = true;
        }

        DriverPlan? plan = null;
        if (run.Resumes > MaxResumesWithoutProgress)
        {
            // A run whose every attempt dies before journaling anything (a poison reply, a bug) must
            // end instead of looping through activations for ever.
            await FinishRunAsync(run, RunStatus.Failed, $"resumed {MaxResumesWithoutProgress.ToString(CultureInfo.InvariantCulture)} times without journaling progress; see the silo log for what stops it");
            await StartNextQueuedAsync();
        }
        else if (run.Steps.LastOrDefault() is { Settled: false } step)
        {
            // Calls of a journaled reply without a journaled outcome: (re-)invoke them with their keys.
            var runnable = step.Calls.Where(static c => c.IsRunnable).Select(static c => (c.Index, c.CallId, c.Name, c.Arguments)).ToList();
            if (runnable.Count > 0)
            {
                plan = new ToolsPlan(run.RunId, step.Number, runnable, agent, PathOf(run), now + agent.MaxWallTime - (now - run.StartedAt!.Value - run.ApprovalWait));
            }
        }
        else if (ExceededBudget(run, agent, now) is { } exceeded)
        {
            await FinishRunAsync(run, RunStatus.BudgetExceeded, exceeded);
            await StartNextQueuedAsync();
            dirty = true;
        }
        else
        {
            tail ??= await LoadTailAsync(run, agent);
            var remaining = agent.MaxWallTime - (now - run.StartedAt!.Value - run.ApprovalWait);
            var options = new ChatOptions { ModelId = agent.Model ?? modelOptions.Name, Tools = catalog.OfferedTools(agent) };

            plan = new ModelPlan(run.RunId, run.Steps.Count + 1, ModelMessages(agent), options, remaining < agent.ModelTimeout ? remaining : agent.ModelTimeout, remaining < agent.ModelTimeout, agent);
        }

        if (dirty)
        {
            await state.WriteStateAsync(stopping);
            PublishAfterCommit();
        }

        return plan;
    }

    private async Task<ModelOutcome> CallModelAsync(ModelPlan plan, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        using var timeout = new CancellationTokenSource(plan.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var response = await ModelFor(plan.Agent).GetResponseAsync(plan.Messages, plan.Options, linked.Token).ConfigureAwait(false);
            return new ModelOutcome(response, null, null, timeProvider.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return plan.TimeoutIsWallTime
                ? new ModelOutcome(null, RunStatus.BudgetExceeded, $"wall-time budget exhausted: {Seconds(plan.Agent.MaxWallTime)} s of {Seconds(plan.Agent.MaxWallTime)} s", 0)
                : new ModelOutcome(null, RunStatus.Failed, $"the model did not answer within {Seconds(plan.Timeout)} s (step {plan.Step})", 0);
        }
        catch (ModelException ex)
        {
            LogModelFailed(logger, SessionId, plan.RunId, plan.Step, ex);
            return new ModelOutcome(null, RunStatus.Failed, $"model error at step {plan.Step}: {ex.Message}", 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogModelFailed(logger, SessionId, plan.RunId, plan.Step, ex);
            return new ModelOutcome(null, RunStatus.Failed, $"the model call failed at step {plan.Step}: {ex.Message}", 0);
        }
    }

    /// <summary>
    /// Runs the calls of a reply before the reply is journaled when every one is valid, free of side
    /// effects and needs no person: re-running such calls after a crash is harmless, and the reply
    /// and its results then commit together (one commit per step instead of two).
    /// </summary>
    private async Task<IReadOnlyList<ToolOutcome>?> RunEarlyToolsAsync(ModelPlan plan, ChatResponse response, CancellationToken cancellationToken)
    {
        var calls = CallsOf(response);
        if (calls.Count == 0)
        {
            return null;
        }

        foreach (var call in calls)
        {
            // A specialist call starts a run elsewhere: its reply is journaled first, so a replay sends the same request.
            if (IsSpecialistCall(plan.Agent, call.Name)
                || tools.Validate(call, plan.Agent.Tools) is not null
                || !tools.TryGet(call.Name, out var tool)
                || tool.HasSideEffects || tool.NeedsConfirmation || tool.MaxCallsPerSession is not null)
            {
                return null;
            }
        }

        return await Task.WhenAll(calls.Select((call, index) => InvokeToolAsync(plan.RunId, plan.Step, index, call, plan.Agent, cancellationToken))).ConfigureAwait(false);
    }

    private async Task RunToolAsync(ToolsPlan plan, (int Index, string CallId, string Name, string Arguments) call, CancellationToken cancellationToken)
    {
        ToolOutcome outcome;
        if (IsSpecialistCall(plan.Agent, call.Name))
        {
            outcome = await DelegateAsync(plan, call, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var content = FunctionCallContent.CreateFromParsedArguments(call.Arguments, call.CallId, call.Name, HistoryMessages.ParseArguments);
            outcome = await InvokeToolAsync(plan.RunId, plan.Step, call.Index, content, plan.Agent, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        await RunTurnAsync(() => RecordToolResultAsync(plan.RunId, plan.Step, call.Index, outcome)).ConfigureAwait(false);
    }

    private async Task<ToolOutcome> InvokeToolAsync(string runId, int step, int index, FunctionCallContent call, AgentDefinition agent, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var context = new ToolContext(SessionId, runId, step, index, call.Name);
        var result = await tools.InvokeAsync(call, context, agent.Tools, cancellationToken).ConfigureAwait(false);
        return new ToolOutcome(result, timeProvider.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Journals a model reply (and the results of calls run early), or the failure of the model call (a turn).</summary>
    private async Task RecordModelReplyAsync(ModelPlan plan, ModelOutcome outcome, IReadOnlyList<ToolOutcome>? early)
    {
        if (Session.Active is not { Status: RunStatus.Running } run || run.RunId != plan.RunId || run.Steps.Count + 1 != plan.Step)
        {
            // Cancelled meanwhile, or another driver journaled this step first.
            return;
        }

        var agent = plan.Agent;
        var now = timeProvider.GetUtcNow();
        run.LastProgressAt = now;
        if (outcome.Response is not { } response)
        {
            await FinishRunAsync(run, outcome.FailStatus!, outcome.Reason);
            await StartNextQueuedAsync();
            await state.WriteStateAsync(stopping);
            PublishAfterCommit();
            return;
        }

        var calls = CallsOf(response);
        var step = new StepState
        {
            Number = plan.Step,
            ModelDurationMs = outcome.DurationMs,
            InputTokens = response.Usage?.InputTokenCount ?? 0,
            OutputTokens = response.Usage?.OutputTokenCount ?? 0,
        };
        run.Steps.Add(step);
        run.InputTokens += step.InputTokens;
        run.OutputTokens += step.OutputTokens;
        run.Resumes = 0;
        if ((response.ModelId ?? plan.Options.ModelId) is { Length: > 0 } modelId && modelOptions.CostOf(modelId, step.InputTokens, step.OutputTokens) is { } cost)
        {
            run.Cost = (run.Cost ?? 0) + cost;
        }

        Session.ModelCalls++;
        Session.InputTokens += step.InputTokens;
        Session.OutputTokens += step.OutputTokens;

        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            step.Calls.Add(new ToolCallState
            {
                Index = i,
                CallId = string.IsNullOrEmpty(call.CallId) ? ToolCallState.KeyOf(run.RunId, step.Number, i) : call.CallId,
                Name = call.Name,
                Arguments = HistoryMessages.ToEntry(call).Arguments,
                Risk = tools.TryGet(call.Name, out var tool) ? tool.Risk.ToString().ToLowerInvariant() : IsSpecialistCall(agent, call.Name) ? "agent" : null,
            });
        }

        // The reply's text lives in the history and the journal; the state, rewritten on every step, does not keep it.
        var text = response.Text;
        AppendHistory(new HistoryEntry(HistoryMessages.Assistant, text, now, calls.Count == 0 ? null : [.. step.Calls.Select(static c => new ToolCallEntry(c.CallId, c.Name, c.Arguments))]));
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.ModelReply, now, step.Number, text, [.. step.Calls.Select(c => c.ToView(run.RunId, step.Number))], InputTokens: step.InputTokens, OutputTokens: step.OutputTokens));

        if (calls.Count == 0)
        {
            step.Settled = true;
            run.Reply = text;
            await FinishRunAsync(run, RunStatus.Completed, null);
            await StartNextQueuedAsync();
            await state.WriteStateAsync(stopping);
            PublishAfterCommit();
            return;
        }

        var awaiting = new List<ToolCallState>();
        string? handoff = null;
        for (var i = 0; i < calls.Count; i++)
        {
            var entry = step.Calls[i];
            if (ValidateCall(run, agent, calls[i]) is { } invalid)
            {
                FinishCall(run, step, entry, ToolCallStatus.Failed, invalid.Content, durationMs: null);
                continue;
            }

            if (IsSpecialistCall(agent, entry.Name))
            {
                // Started by the driver once this reply has committed.
                continue;
            }

            if (IsHandoffCall(agent, entry.Name, out var target))
            {
                // One conversation has one agent at a time: the first handoff of a reply wins.
                if (handoff is null)
                {
                    handoff = target;
                    FinishCall(run, step, entry, ToolCallStatus.Succeeded, $"transferred to {target}; {target} answers from here on.", durationMs: null);
                }
                else
                {
                    FinishCall(run, step, entry, ToolCallStatus.Failed, $"error: the conversation was already handed to '{handoff}' in this reply; only the first handoff of a reply is made.", durationMs: null);
                }

                continue;
            }

            tools.TryGet(entry.Name, out var tool);
            var used = Session.ToolUse.GetValueOrDefault(entry.Name);
            if (tool!.MaxCallsPerSession is { } max && used >= max)
            {
                FinishCall(run, step, entry, ToolCallStatus.Failed, $"error: '{entry.Name}' may be called at most {max.ToString(CultureInfo.InvariantCulture)} times per session, and that limit is reached.", durationMs: null);
                continue;
            }

            Session.ToolUse[entry.Name] = used + 1;
            if (early is not null)
            {
                FinishCall(run, step, entry, early[i].Result.IsError ? ToolCallStatus.Failed : ToolCallStatus.Succeeded, early[i].Result.Content, early[i].DurationMs);
            }
            else if (tool.NeedsConfirmation)
            {
                entry.Status = ToolCallStatus.AwaitingApproval;
                awaiting.Add(entry);
                AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.ApprovalRequested, now, step.Number, Call: entry.ToView(run.RunId, step.Number), Status: RunStatus.AwaitingApproval));
            }
        }

        if (handoff is not null)
        {
            run.Agent = handoff;
            Session.CurrentAgent = handoff;
            AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.Handoff, now, step.Number, Status: RunStatus.Running, Agent: handoff));
            LogHandoff(logger, SessionId, run.RunId, agent.Name, handoff);
        }

        if ((agent.MaxTokens is { } tokens && run.BudgetTokens > tokens) || (agent.MaxCost is { } limit && run.BudgetCost > limit))
        {
            await FinishRunAsync(run, RunStatus.BudgetExceeded, ExceededBudget(run, agent, now));
            await StartNextQueuedAsync();
        }
        else if (awaiting.Count > 0)
        {
            run.Status = RunStatus.AwaitingApproval;
            run.AwaitingSince = now;
            run.Reason = $"waiting for a person to approve {string.Join(", ", awaiting.Select(static c => $"'{c.Name}' (call {c.CallId})"))}";
            await UnregisterReminder(new NamedReminder(WatchdogReminder));
            await RegisterOrUpdateReminder(ApprovalReminder, agent.ApprovalTimeout);
            LogAwaitingApproval(logger, SessionId, run.RunId, awaiting.Count);
        }

        await state.WriteStateAsync(stopping);
        PublishAfterCommit();
    }

    /// <summary>Journals the outcome of one tool call (a turn); a second outcome for the same call is ignored.</summary>
    private async Task RecordToolResultAsync(string runId, int stepNumber, int index, ToolOutcome outcome)
    {
        if (Session.Active is not { } run || run.RunId != runId || run.Steps.LastOrDefault() is not { } step || step.Number != stepNumber
            || index >= step.Calls.Count || !step.Calls[index].IsRunnable)
        {
            return;
        }

        run.LastProgressAt = timeProvider.GetUtcNow();
        run.Resumes = 0;
        run.DelegatedTokens += outcome.DelegatedTokens;
        if (outcome.DelegatedCost is { } cost)
        {
            run.DelegatedCost = (run.DelegatedCost ?? 0) + cost;
        }

        FinishCall(run, step, step.Calls[index], outcome.Result.IsError ? ToolCallStatus.Failed : ToolCallStatus.Succeeded, outcome.Result.Content, outcome.DurationMs);
        await state.WriteStateAsync(stopping);
        PublishAfterCommit();
    }

    /// <summary>Records a call's outcome; once every call of the step has one, their tool messages join the history in the model's order.</summary>
    private void FinishCall(RunState run, StepState step, ToolCallState call, string status, string result, double? durationMs)
    {
        var now = timeProvider.GetUtcNow();
        call.Status = status;
        call.Result = result.Length <= MaxToolResultLength ? result : string.Concat(result.AsSpan(0, MaxToolResultLength), $" …[{(result.Length - MaxToolResultLength).ToString(CultureInfo.InvariantCulture)} more characters cut]");
        call.DurationMs = durationMs;
        Session.ToolCalls++;
        if (status != ToolCallStatus.Succeeded)
        {
            LogToolError(logger, SessionId, call.Name, step.Number, call.Result);
        }

        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.ToolResult, now, step.Number, call.Result, Call: call.ToView(run.RunId, step.Number), Status: status));
        if (!step.Settled && step.Calls.TrueForAll(static c => c.IsFinished))
        {
            step.Settled = true;
            foreach (var finished in step.Calls)
            {
                AppendHistory(new HistoryEntry(HistoryMessages.Tool, finished.Result!, now, ToolCallId: finished.CallId, ToolName: finished.Name));

                // In the history and the journal now; the state keeps the call's status, not its output.
                finished.Result = null;
            }
        }
    }

    private static string? ExceededBudget(RunState run, AgentDefinition agent, DateTimeOffset now)
    {
        var tokens = run.BudgetTokens;
        var elapsed = now - run.StartedAt!.Value - run.ApprovalWait;
        return run.Steps.Count >= agent.MaxSteps
                ? $"step budget exhausted: {agent.MaxSteps.ToString(CultureInfo.InvariantCulture)} model calls without a final answer"
            : agent.MaxTokens is { } maxTokens && tokens >= maxTokens
                ? $"token budget exhausted: {tokens.ToString(CultureInfo.InvariantCulture)} tokens used of {maxTokens.ToString(CultureInfo.InvariantCulture)}"
            : agent.MaxCost is { } maxCost && run.BudgetCost is { } spent && spent >= maxCost
                ? $"cost budget exhausted: ${spent.ToString("0.######", CultureInfo.InvariantCulture)} spent of ${maxCost.ToString("0.######", CultureInfo.InvariantCulture)}"
            : elapsed >= agent.MaxWallTime
                ? $"wall-time budget exhausted: {Seconds(elapsed)} s of {Seconds(agent.MaxWallTime)} s"
            : null;
    }

    private async Task<List<ChatMessage>> LoadTailAsync(RunState run, AgentDefinition agent)
    {
        var from = Math.Max(0, run.HistoryStart - agent.HistoryWindow);
        var messages = new List<ChatMessage>();
        while (from + messages.Count < history.Count)
        {
            var page = await history.ReadAsync(from + messages.Count, (int)Math.Min(ReadPageSize, history.Count - from - messages.Count), stopping);
            if (page.Count == 0)
            {
                break;
            }

            messages.AddRange(page.Select(HistoryMessages.ToChatMessage));
        }

        return messages;
    }

    private List<ChatMessage> ModelMessages(AgentDefinition agent)
    {
        var messages = new List<ChatMessage>(tail!.Count + 1) { new(ChatRole.System, InstructionsOf(agent)) };
        var first = 0;
        while (first < tail.Count && tail[first].Role == ChatRole.Tool)
        {
            // A tool result whose call fell out of the window: providers reject it without its call.
            first++;
        }

        for (var i = first; i < tail.Count; i++)
        {
            messages.Add(tail[i]);
        }

        return messages;
    }

    private static List<FunctionCallContent> CallsOf(ChatResponse response) =>
        [.. response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>().Where(static c => !c.InformationalOnly)];

    private abstract record DriverPlan;

    private sealed record ModelPlan(string RunId, int Step, List<ChatMessage> Messages, ChatOptions Options, TimeSpan Timeout, bool TimeoutIsWallTime, AgentDefinition Agent) : DriverPlan;

    /// <summary>The calls of a journaled reply to (re-)invoke; <paramref name="WallTimeEnd"/> is when the run's wall-time budget runs out (approval waits excluded so far).</summary>
    private sealed record ToolsPlan(string RunId, int Step, List<(int Index, string CallId, string Name, string Arguments)> Calls, AgentDefinition Agent, IReadOnlyList<string> Path, DateTimeOffset WallTimeEnd) : DriverPlan;

    private sealed record ModelOutcome(ChatResponse? Response, string? FailStatus, string? Reason, double DurationMs);

    /// <summary>A tool's or a specialist's result; a specialist's carries the tokens and cost of its run (and its descendants').</summary>
    private sealed record ToolOutcome(ToolResult Result, double DurationMs, long DelegatedTokens = 0, decimal? DelegatedCost = null);

    /// <summary>The model <paramref name="agent"/> talks to: its own (a code specialist), its offline model while the silo runs the scripted one, or the silo's.</summary>
    private IChatClient ModelFor(AgentDefinition agent) =>
        agent.ChatClient ?? (agent.OfflineModel is { } offline && model is ScriptedChatClient ? offline : model);

    /// <summary>The system prompt; a specialist with a typed response is told the JSON it must reply with.</summary>
    private static string InstructionsOf(AgentDefinition agent) =>
        agent.Contract is { } contract && contract.ResponseType != typeof(string) && agent.ChatClient is null
            ? $"{agent.Instructions}\n\nReply with only a JSON object that matches this JSON schema, and nothing else:\n{contract.ResponseSchema.GetRawText()}"
            : agent.Instructions;
}
