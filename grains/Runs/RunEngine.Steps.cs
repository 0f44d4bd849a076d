using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Sessions;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Runs;

public sealed partial class RunEngine
{
    /// <summary>The longest tool result kept in the journal and shown to the model, in characters.</summary>
    public const int MaxToolResultLength = 16 * 1024;

    /// <summary>How many times a run may be resumed in a row without journaling a step or result before it fails.</summary>
    public const int MaxResumesWithoutProgress = 5;

    private const int ReadPageSize = 500;

    // The messages the model sees for the active run: the window before it and the run's own. Loaded
    // when a driver first plans a model call and kept while runs follow each other (the next run's
    // window is this one's end), dropped when the session comes to rest (Rest), so an idle session
    // holds none. tailStart is the history position of its first message.
    private List<ChatMessage>? tail;
    private long tailStart;

    /// <summary>Decides the driver's next action from the journal; null when the run does not go on (ended, waits for a person).</summary>
    /// <param name="resumeReason">Why a new driver resumes the run (journaled as a <c>run.resumed</c> event), or null.</param>
    /// <param name="cancellationToken">Cancels reading the history.</param>
    public async Task<DriverPlan?> PlanAsync(string? resumeReason, CancellationToken cancellationToken)
    {
        if (Session.Active is not { Status: RunStatus.Running } run)
        {
            return null;
        }

        var agent = AgentOf(run);
        var now = timeProvider.GetUtcNow();
        if (resumeReason is not null)
        {
            AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.Resumed, now, run.Steps.Count, Status: RunStatus.Running, Reason: resumeReason));
            run.LastProgressAt = now;
            run.Silo = silo;
            run.Resumes++;
            effects.MarkChanged();
        }

        if (run.Resumes > MaxResumesWithoutProgress)
        {
            // A run whose every attempt dies before journaling anything (a poison reply, a bug) must
            // end instead of looping through activations for ever.
            FinishRun(run, RunStatus.Failed, $"resumed {MaxResumesWithoutProgress.ToString(CultureInfo.InvariantCulture)} times without journaling progress; see the silo log for what stops it");
            StartNextQueued();
            effects.MarkChanged();
            return null;
        }

        if (run.Steps.LastOrDefault() is { Settled: false } step)
        {
            // Calls of a journaled reply without a journaled outcome: (re-)invoke them with their keys.
            var runnable = step.Calls.Where(static c => c.IsRunnable).Select(static c => new PlannedCall(c.Index, c.CallId, c.Name, c.Arguments)).ToList();
            return runnable.Count == 0
                ? null
                : new ToolsPlan(run.RunId, step.Number, runnable, agent, PathOf(run), now + agent.MaxWallTime - (now - run.StartedAt!.Value - run.ApprovalWait));
        }

        if (ExceededBudget(run, agent, now) is { } exceeded)
        {
            FinishRun(run, RunStatus.BudgetExceeded, exceeded);
            StartNextQueued();
            effects.MarkChanged();
            return null;
        }

        var remaining = agent.MaxWallTime - (now - run.StartedAt!.Value - run.ApprovalWait);
        var timeout = remaining < agent.ModelTimeout ? remaining : agent.ModelTimeout;
        if (SummaryDue(run, agent) is { } through)
        {
            // Before the step's model call: the summary it is sent with is journaled first.
            var request = await SummaryMessagesAsync(agent, through, cancellationToken).ConfigureAwait(false);
            var summaryOptions = SummaryRequest.Options(agent.Model ?? modelOptions.Name, agent.SummaryMaxLength);
            return new SummaryPlan(new ModelPlan(run.RunId, run.Steps.Count + 1, request, summaryOptions, timeout, remaining < agent.ModelTimeout, agent), through);
        }

        await LoadTailAsync(run, agent, cancellationToken).ConfigureAwait(false);
        if (agent.Memory && run.Memory is null && Session.UserId is { } userId)
        {
            // Before the step's model call: the facts it is sent with are journaled first.
            return new MemoryPlan(run.RunId, run.Steps.Count + 1, userId, MessageOf(run), agent);
        }

        var offered = catalog.OfferedTools(agent, memory: Session.UserId is not null);
        if (denied is not null && offered is not null)
        {
            // The tenant's denied tools are not offered at all.
            offered = [.. offered.Where(t => !IsDenied(t.Name))];
        }

        var options = new ChatOptions { ModelId = agent.Model ?? modelOptions.Name, Tools = offered is { Count: > 0 } ? offered : null };
        return new ModelPlan(run.RunId, run.Steps.Count + 1, ModelMessages(run, agent), options, timeout, remaining < agent.ModelTimeout, agent);
    }

    /// <summary>Journals the session's new running summary, or that the run goes on without one (the model call failed).</summary>
    /// <remarks>Ignored when the run was cancelled meanwhile or the summary was already journaled (another driver, a resumed run).</remarks>
    public void RecordSummary(SummaryPlan plan, ModelOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(outcome);
        if (Session.Active is not { Status: RunStatus.Running } run || run.RunId != plan.Request.RunId || run.SummarySkipped || Session.SummaryThrough >= plan.Through)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        var through = plan.Through.ToString(CultureInfo.InvariantCulture);
        run.LastProgressAt = now;
        effects.MarkChanged();
        if (outcome.Response is not { } response || string.IsNullOrWhiteSpace(response.Text))
        {
            // The conversation goes on with the summary it had; the next run tries again.
            run.SummarySkipped = true;
            var reason = outcome.Reason ?? "the model returned an empty summary";
            AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.SummaryUpdated, now, run.Steps.Count + 1, Session.Summary, Status: RunStatus.Failed, Reason: $"summary of messages before {through} not made: {reason}"));
            LogSummaryFailed(logger, sessionId, run.RunId, reason);
            return;
        }

        run.Resumes = 0;
        var inputTokens = response.Usage?.InputTokenCount ?? 0;
        var outputTokens = response.Usage?.OutputTokenCount ?? 0;
        run.InputTokens += inputTokens;
        run.OutputTokens += outputTokens;
        if ((response.ModelId ?? plan.Request.Options.ModelId) is { Length: > 0 } modelId && modelOptions.CostOf(modelId, inputTokens, outputTokens) is { } cost)
        {
            run.Cost = (run.Cost ?? 0) + cost;
        }

        Session.ModelCalls++;
        Session.InputTokens += inputTokens;
        Session.OutputTokens += outputTokens;
        Session.Summary = SummaryRequest.Bound(response.Text, plan.Request.Agent.SummaryMaxLength);
        Session.SummaryThrough = plan.Through;
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.SummaryUpdated, now, run.Steps.Count + 1, Session.Summary, Status: RunStatus.Completed, Reason: $"covers the {through} messages before the window", InputTokens: inputTokens, OutputTokens: outputTokens));
    }

    /// <summary>Journals the user's facts recalled for the run (empty when none match, or when they could not be read: <paramref name="failure"/>).</summary>
    /// <remarks>Ignored when the run was cancelled meanwhile or its facts were already journaled (another driver, a resumed run).</remarks>
    public void RecordMemory(MemoryPlan plan, IReadOnlyList<string> facts, string? failure)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(facts);
        if (Session.Active is not { Status: RunStatus.Running } run || run.RunId != plan.RunId || run.Memory is not null)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        run.Memory = [.. facts];
        run.LastProgressAt = now;
        effects.MarkChanged();
        var reason = failure is null
            ? string.Create(CultureInfo.InvariantCulture, $"{facts.Count} of the user's facts match the message")
            : $"the user's facts could not be read, so the run goes on without them: {failure}";
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.MemoryRecalled, now, plan.Step, string.Join("\n", facts), Status: failure is null ? RunStatus.Completed : RunStatus.Failed, Reason: reason));
    }

    /// <summary>The run's user message: whole from the window when it is there, else its journaled preview.</summary>
    private string MessageOf(RunState run)
    {
        var index = run.HistoryStart - tailStart;
        return tail is not null && index >= 0 && index < tail.Count && tail[(int)index].Role == ChatRole.User ? tail[(int)index].Text : run.Input;
    }

    /// <summary>The history position a new summary would cover up to, when the run must make one first; null otherwise.</summary>
    private long? SummaryDue(RunState run, AgentDefinition agent)
    {
        if (agent.SummarizeAfter is not > 0 || run.SummarySkipped)
        {
            return null;
        }

        // The run's window starts here; everything before it is out of the model's sight.
        var through = Math.Max(0, run.HistoryStart - agent.HistoryWindow);
        return through - Session.SummaryThrough >= agent.SummarizeAfter ? through : null;
    }

    /// <summary>The summary request: the previous summary and the messages newly out of the window (at most one page of them).</summary>
    private async Task<List<ChatMessage>> SummaryMessagesAsync(AgentDefinition agent, long through, CancellationToken cancellationToken)
    {
        var from = Math.Max(Session.SummaryThrough, through - ReadPageSize);
        var entries = await log.ReadHistoryAsync(from, (int)(through - from), cancellationToken).ConfigureAwait(false);
        return SummaryRequest.Messages(
            Session.Summary,
            entries.Select(static e => (e.Role == HistoryMessages.Tool && e.ToolName is { } tool ? $"tool {tool}" : e.Role, e.Content ?? string.Empty)),
            agent.SummaryMaxLength);
    }

    /// <summary>Journals a model reply (and the results of calls run early), or the failure of the model call.</summary>
    /// <remarks>Ignored when the run was cancelled meanwhile or another driver journaled this step first.</remarks>
    public void RecordModelReply(ModelPlan plan, ModelOutcome outcome, IReadOnlyList<ToolOutcome>? early)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(outcome);
        if (Session.Active is not { Status: RunStatus.Running } run || run.RunId != plan.RunId || run.Steps.Count + 1 != plan.Step)
        {
            return;
        }

        var agent = plan.Agent;
        var now = timeProvider.GetUtcNow();
        run.LastProgressAt = now;
        effects.MarkChanged();
        if (outcome.Response is not { } response)
        {
            FinishRun(run, outcome.FailStatus!, outcome.Reason);
            StartNextQueued();
            return;
        }

        var calls = CallsOf(response);
        var step = new StepState
        {
            Number = plan.Step,
            ModelStartedAt = outcome.StartedAt,
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
            FinishRun(run, RunStatus.Completed, null);
            StartNextQueued();
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
                FinishCall(run, step, entry, early[i].Result.IsError ? ToolCallStatus.Failed : ToolCallStatus.Succeeded, early[i].Result.Content, early[i].DurationMs, early[i].StartedAt);
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
            LogHandoff(logger, sessionId, run.RunId, agent.Name, handoff);
        }

        if ((agent.MaxTokens is { } tokens && run.BudgetTokens > tokens) || (agent.MaxCost is { } limit && run.BudgetCost > limit))
        {
            FinishRun(run, RunStatus.BudgetExceeded, ExceededBudget(run, agent, now));
            StartNextQueued();
        }
        else if (awaiting.Count > 0)
        {
            run.Status = RunStatus.AwaitingApproval;
            run.AwaitingSince = now;
            run.Reason = $"waiting for a person to approve {string.Join(", ", awaiting.Select(static c => $"'{c.Name}' (call {c.CallId})"))}";
            // The watchdog's next tick finds the run waiting and unregisters it.
            effects.Register(ApprovalReminder, agent.ApprovalTimeout, TimeSpan.Zero);
            LogAwaitingApproval(logger, sessionId, run.RunId, awaiting.Count);
        }
    }

    /// <summary>Journals the outcome of one tool call; a second outcome for the same call is ignored.</summary>
    public void RecordToolResult(string runId, int stepNumber, int index, ToolOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
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

        FinishCall(run, step, step.Calls[index], outcome.Result.IsError ? ToolCallStatus.Failed : ToolCallStatus.Succeeded, outcome.Result.Content, outcome.DurationMs, outcome.StartedAt);
        effects.MarkChanged();
    }

    /// <summary>Journals which specialist run a call started; journaled once, however often the call is replayed.</summary>
    public void RecordDelegation(string runId, int stepNumber, int index, string childRunId)
    {
        if (Session.Active is not { } run || run.RunId != runId || run.Steps.LastOrDefault() is not { } step || step.Number != stepNumber
            || index >= step.Calls.Count || step.Calls[index] is not { IsRunnable: true } call || call.ChildRunId is not null)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        call.ChildRunId = childRunId;
        run.LastProgressAt = now;
        run.Resumes = 0;
        AppendEvent(run, new RunEvent(0, run.RunId, RunEventTypes.DelegationStarted, now, step.Number, Call: call.ToView(run.RunId, step.Number), Status: RunStatus.Running, ChildRunId: childRunId, Agent: call.Name));
        effects.MarkChanged();
    }

    /// <summary>Whether <paramref name="runId"/> is still the session's active run.</summary>
    public bool IsActive(string runId) => Session.Active?.RunId == runId;

    /// <summary>Records a call's outcome; once every call of the step has one, their tool messages join the history in the model's order.</summary>
    private void FinishCall(RunState run, StepState step, ToolCallState call, string status, string result, double? durationMs, DateTimeOffset? startedAt = null)
    {
        var now = timeProvider.GetUtcNow();
        call.Status = status;
        call.StartedAt = startedAt;
        call.Result = result.Length <= MaxToolResultLength ? result : string.Concat(result.AsSpan(0, MaxToolResultLength), $" …[{(result.Length - MaxToolResultLength).ToString(CultureInfo.InvariantCulture)} more characters cut]");
        call.DurationMs = durationMs;
        Session.ToolCalls++;
        if (status != ToolCallStatus.Succeeded)
        {
            LogToolError(logger, sessionId, call.Name, step.Number, call.Result);
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

    /// <summary>Makes <see cref="tail"/> the run's window: trims what the last run kept, or reads it from the journal.</summary>
    private async Task LoadTailAsync(RunState run, AgentDefinition agent, CancellationToken cancellationToken)
    {
        var from = Math.Max(0, run.HistoryStart - agent.HistoryWindow);
        if (tail is not null && tailStart <= from)
        {
            // Kept from the runs before (every message appended since is in it): drop what fell out of the window.
            tail.RemoveRange(0, (int)(from - tailStart));
            tailStart = from;
            return;
        }

        var messages = new List<ChatMessage>();
        while (from + messages.Count < log.HistoryCount)
        {
            var page = await log.ReadHistoryAsync(from + messages.Count, (int)Math.Min(ReadPageSize, log.HistoryCount - from - messages.Count), cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            messages.AddRange(page.Select(HistoryMessages.ToChatMessage));
        }

        (tail, tailStart) = (messages, from);
    }

    private List<ChatMessage> ModelMessages(RunState run, AgentDefinition agent)
    {
        var messages = new List<ChatMessage>(tail!.Count + 3) { new(ChatRole.System, InstructionsOf(agent)) };
        if (agent.SummarizeAfter is > 0 && Session.Summary is { Length: > 0 } summary)
        {
            // What fell out of the window, in a bounded number of characters.
            messages.Add(SummaryRequest.Carrier(summary));
        }

        if (agent.Memory && run.Memory is { Count: > 0 } facts)
        {
            // What the user's other sessions taught, as recalled for this run.
            messages.Add(MemoryContext.Carrier(facts));
        }

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

    /// <summary>The calls a model reply asks for (informational ones left out).</summary>
    public static List<FunctionCallContent> CallsOf(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return [.. response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>().Where(static c => !c.InformationalOnly)];
    }

    /// <summary>The system prompt; a specialist with a typed response is told the JSON it must reply with.</summary>
    private static string InstructionsOf(AgentDefinition agent) =>
        agent.Contract is { } contract && contract.ResponseType != typeof(string) && agent.ChatClient is null
            ? $"{agent.Instructions}\n\nReply with only a JSON object that matches this JSON schema, and nothing else:\n{contract.ResponseSchema.GetRawText()}"
            : agent.Instructions;
}
