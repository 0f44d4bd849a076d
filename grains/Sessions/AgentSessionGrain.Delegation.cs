using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Sessions;

/// <summary>Managers calling specialists (each call is a run of the specialist agent in a session of its own), and handoffs.</summary>
/// <remarks>
/// <para><b>Durable and unique.</b> The specialist's session id and the durable message's
/// idempotency key are both derived from the manager call's key (<c>{runId}:{step}:{callIndex}</c>),
/// so a manager that replays the call after a crash or a takeover finds the run its first attempt
/// started instead of starting a second one. The call's reply is journaled before the message is
/// sent (specialist calls never run early), so a replay sends the same request.</para>
/// <para><b>No deadlock.</b> The manager's driver waits for the specialist outside any turn (long
/// polls of the specialist's run), so the manager's session keeps answering reads, cancellation and
/// approvals; a cycle or a chain deeper than <see cref="DelegationOptions.MaxDepth"/> is refused
/// from the run's path before anything is sent.</para>
/// <para><b>Failures are results.</b> Whatever ends the specialist run other than completion comes
/// back to the manager's model as a typed tool error (<see cref="DelegationErrors"/>), and the
/// manager run goes on. Cancelling (or otherwise ending) a manager run cancels the specialist runs
/// it still waits for, which cancel theirs.</para>
/// </remarks>
public sealed partial class AgentSessionGrain
{
    // A client retrying a transient failure (an owner that died, a takeover in progress) waits this long between tries.
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    // How long cancelling a specialist run keeps retrying transient failures (its owner died, say) before it gives up.
    private static readonly TimeSpan CancelRetryLimit = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public async Task<RunSubmission> StartDelegatedAsync(DelegatedRun request)
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
            throw new SessionConflictException($"Session '{SessionId}' exists for agent '{existing}'; it cannot run specialist '{request.Agent}'.");
        }

        var busy = Session.Active is not null || Session.Queue.Count > 0;
        if (busy && Session.Queue.Count >= agent.MaxQueuedMessages)
        {
            throw new SessionBusyException($"Specialist session '{SessionId}' already has {Session.Queue.Count} requests waiting (the limit of agent '{request.Agent}').");
        }

        // Every refusal is above: a refused request leaves the session as it was.
        var now = timeProvider.GetUtcNow();
        if (Session.Agent is null)
        {
            Session.Agent = request.Agent;
            Session.CreatedAt = now;
        }

        var run = new RunState
        {
            Number = ++Session.Runs,
            Input = request.Input,
            SubmittedAt = now,
            ParentRunId = request.ParentRunId,
            Path = [.. request.Path, request.Agent],
        };
        run.RunId = RunIds.Format(SessionId, run.Number);

        // A manager's calls queue behind each other whatever the agent's policy for people: refusing
        // or interrupting one would fail a sibling call of the same manager.
        if (busy)
        {
            Session.Queue.Add(run);
        }
        else
        {
            await StartRunAsync(run);
        }

        await state.WriteStateAsync(stopping);
        PublishAfterCommit();
        LogDelegated(logger, SessionId, run.RunId, request.ParentRunId, request.Agent);
        return new RunSubmission(run.RunId, run.Status);
    }

    /// <summary>The agents from the root manager down to <paramref name="run"/>'s agent.</summary>
    private List<string> PathOf(RunState run) => run.Path.Count > 0 ? run.Path : [run.Agent ?? Session.Agent!];

    /// <summary>The agent answering <paramref name="run"/> now: the session's, or the one a handoff moved it to.</summary>
    private AgentDefinition AgentOf(RunState run) => catalog.Get(run.Agent ?? Session.Agent!);

    private static bool IsHandoffCall(AgentDefinition agent, string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? target) =>
        Handoffs.TryGetTarget(name, out target) && agent.Handoffs.Contains(target, StringComparer.Ordinal);

    private bool IsSpecialistCall(AgentDefinition agent, string name) =>
        agent.Specialists.Contains(name, StringComparer.Ordinal) && catalog.TryGet(name, out var specialist) && specialist.Contract is not null;

    /// <summary>Checks a call of the model's reply without running it: a tool call by the registry, a specialist call by its contract and the run's path.</summary>
    private ToolResult? ValidateCall(RunState run, AgentDefinition agent, FunctionCallContent call)
    {
        if (IsHandoffCall(agent, call.Name, out _))
        {
            return tools.ValidateArguments(call, Handoffs.Schema);
        }

        if (!IsSpecialistCall(agent, call.Name))
        {
            // The specialists and handoffs are named too, so a model that misspells one learns what it may call.
            return tools.Validate(call, catalog.OfferedNames(agent));
        }

        if (tools.ValidateArguments(call, catalog.Get(call.Name).Contract!.RequestSchema) is { } invalid)
        {
            return invalid;
        }

        var path = PathOf(run);
        if (path.Contains(call.Name, StringComparer.Ordinal))
        {
            return DelegationErrors.Of(
                DelegationErrors.CycleDetected,
                $"calling '{call.Name}' from {string.Join(" → ", path)} would run '{call.Name}' inside its own call; no run was started. Answer from what you have, or call another specialist.");
        }

        if (path.Count > delegation.MaxDepth)
        {
            return DelegationErrors.Of(
                DelegationErrors.DepthExceeded,
                $"calling '{call.Name}' from {string.Join(" → ", path)} would go {path.Count.ToString(CultureInfo.InvariantCulture)} levels of specialists deep, and at most {delegation.MaxDepth.ToString(CultureInfo.InvariantCulture)} are allowed; no run was started. Do this part yourself.");
        }

        return null;
    }

    /// <summary>Runs one specialist call (outside any turn): starts or finds its run, journals the link, waits for the run to end.</summary>
    private async Task<ToolOutcome> DelegateAsync(ToolsPlan plan, (int Index, string CallId, string Name, string Arguments) call, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var contract = catalog.Get(call.Name).Contract!;
        var key = ToolCallState.KeyOf(plan.RunId, plan.Step, call.Index);
        var child = GrainFactory.GetGrain<IAgentSessionGrain>(SpecialistSessionId(plan.RunId, plan.Step, call.Index, call.Name, contract));
        // The contract's timeout, or the manager's wall-time budget if that runs out first.
        var deadline = timeProvider.GetUtcNow() + contract.Timeout;
        var budgetBound = plan.WallTimeEnd < deadline;
        deadline = budgetBound ? plan.WallTimeEnd : deadline;
        var request = new DelegatedRun(call.Name, call.Arguments, plan.RunId, plan.Path);
        ToolOutcome Outcome(ToolResult result, RunView? view) =>
            new(result, timeProvider.GetElapsedTime(started).TotalMilliseconds, view?.TotalTokens ?? 0, Sum(view?.Cost, view?.DelegatedCost));

        RunSubmission submission;
        try
        {
            submission = await RetryTransientAsync(
                () =>
                {
                    using var scope = RequestContext.WithIdempotencyKey(MessageKey("delegate", key));
                    return child.StartDelegatedAsync(request);
                },
                deadline,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Outcome(DelegationErrors.Of(DelegationErrors.SpecialistFailed, $"specialist '{call.Name}' could not be started: {ex.Message}"), null);
        }

        if (cancellationToken.IsCancellationRequested && !stopping.IsCancellationRequested
            && !await RunTurnAsync(() => Task.FromResult(Session.Active?.RunId == plan.RunId)).ConfigureAwait(false))
        {
            // The manager run ended while the request was on its way: the cancellation it sent may
            // have reached the specialist's inbox first, so this run would be left running.
            _ = CancelSpecialistsAsync([submission.RunId], $"cancelled because its manager run {plan.RunId} ended");
        }

        cancellationToken.ThrowIfCancellationRequested();
        // Journaled while the specialist runs, not before: the link's commit stays off the call's
        // critical path, and turns run in order, so it commits before the result's turn.
        var link = RunTurnAsync(() => RecordDelegationAsync(plan.RunId, plan.Step, call.Index, submission.RunId));
        var outcome = await WaitForSpecialistAsync(call, contract, child, submission, deadline, budgetBound, Outcome, cancellationToken).ConfigureAwait(false);
        await link.ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Long-polls the specialist run until it ends, its call times out (its run is then cancelled), or the driver stops.</summary>
    private async Task<ToolOutcome> WaitForSpecialistAsync(
        (int Index, string CallId, string Name, string Arguments) call,
        SpecialistContract contract,
        IAgentSessionGrain child,
        RunSubmission submission,
        DateTimeOffset deadline,
        bool budgetBound,
        Func<ToolResult, RunView?, ToolOutcome> outcomeOf,
        CancellationToken cancellationToken)
    {
        RunView? view = null;
        while (view is not { IsTerminal: true })
        {
            var remaining = deadline - timeProvider.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                var limit = budgetBound ? "before its manager's wall-time budget ran out" : $"within {Seconds(contract.Timeout)} s";
                _ = CancelSpecialistsAsync([submission.RunId], $"cancelled because it did not finish {limit}");
                return outcomeOf(DelegationErrors.Of(
                    DelegationErrors.TimedOut,
                    $"specialist '{call.Name}' (run {submission.RunId}) did not finish {limit}, last seen {view?.Status ?? RunStatus.Running}; its run was cancelled."), view);
            }

            var wait = remaining < delegation.PollWait ? remaining : delegation.PollWait;
            try
            {
                var polled = timeProvider.GetUtcNow();
                view = await RetryTransientAsync(() => child.WaitForRunAsync(submission.RunId, wait), deadline, cancellationToken).ConfigureAwait(false) ?? view;
                if (view?.Status == RunStatus.AwaitingApproval)
                {
                    // Time a person takes to decide is not the specialist's: it has its own approval timeout.
                    deadline += timeProvider.GetUtcNow() - polled;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (timeProvider.GetUtcNow() < deadline)
                {
                    continue;
                }

                return outcomeOf(DelegationErrors.Of(DelegationErrors.SpecialistFailed, $"specialist '{call.Name}' (run {submission.RunId}) could not be read: {ex.Message}"), null);
            }
        }

        return outcomeOf(ResultOf(call.Name, contract, view), view);
    }

    private static ToolResult ResultOf(string name, SpecialistContract contract, RunView view) => view.Status switch
    {
        RunStatus.Completed => contract.CheckResponse(view.Reply) is { } wrong
            ? DelegationErrors.Of(DelegationErrors.InvalidResponse, $"specialist '{name}' (run {view.RunId}) completed, but {wrong}.")
            : ToolResult.Success(view.Reply ?? string.Empty),
        RunStatus.BudgetExceeded => DelegationErrors.Of(DelegationErrors.BudgetExceeded, $"specialist '{name}' (run {view.RunId}) stopped: {view.Reason}."),
        RunStatus.Cancelled => DelegationErrors.Of(DelegationErrors.Cancelled, $"specialist '{name}' (run {view.RunId}) was cancelled: {view.Reason}."),
        _ => DelegationErrors.Of(DelegationErrors.SpecialistFailed, $"specialist '{name}' (run {view.RunId}) failed: {view.Reason}."),
    };

    /// <summary>Journals which specialist run a call started (a turn); journaled once, however often the call is replayed.</summary>
    private async Task RecordDelegationAsync(string runId, int stepNumber, int index, string childRunId)
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
        await state.WriteStateAsync(stopping);
        PublishAfterCommit();
    }

    /// <summary>Whether every call the run still waits for is a specialist run already started (they have watchdogs of their own).</summary>
    private static bool WaitsOnlyForSpecialists(RunState run) =>
        run.Steps.LastOrDefault() is { Settled: false } step
        && step.Calls.Where(static c => c.IsRunnable).All(static c => c.ChildRunId is not null)
        && step.Calls.Any(static c => c.IsRunnable);

    /// <summary>After the commit that ends <paramref name="run"/> other than by completion, cancels the specialist runs it still waits for.</summary>
    private void CancelSpecialistsAfterCommit(RunState run, string status)
    {
        List<string>? children = null;
        // An agent no longer defined still has its runs cancelled: only their journaled links are known then.
        var agent = catalog.TryGet(run.Agent ?? Session.Agent!, out var definition) ? definition : null;
        foreach (var step in run.Steps)
        {
            foreach (var call in step.Calls.Where(static c => c.IsRunnable))
            {
                // A call whose link is not journaled yet may still have started its run; a session per
                // call has a known run id, so that run is cancelled too.
                var child = call.ChildRunId
                    ?? (agent is not null && IsSpecialistCall(agent, call.Name) && catalog.Get(call.Name).Contract is { KeepsConversation: false } contract
                        ? RunIds.Format(SpecialistSessionId(run.RunId, step.Number, call.Index, call.Name, contract), 1)
                        : null);
                if (child is not null)
                {
                    (children ??= []).Add(child);
                }
            }
        }

        if (children is not null)
        {
            var reason = $"cancelled because its manager run {run.RunId} ended {status}";
            AfterCommit(() => _ = CancelSpecialistsAsync(children, reason));
        }
    }

    /// <summary>Cancels specialist runs (durable messages, retried through takeovers); runs off the grain's scheduler.</summary>
    private Task CancelSpecialistsAsync(IReadOnlyList<string> runIds, string reason) => Task.Run(async () =>
    {
        var deadline = timeProvider.GetUtcNow() + CancelRetryLimit;
        await Task.WhenAll(runIds.Select(async runId =>
        {
            if (!RunIds.TryParse(runId, out var sessionId, out _))
            {
                return;
            }

            try
            {
                var child = GrainFactory.GetGrain<IAgentSessionGrain>(sessionId);
                await RetryTransientAsync(
                    () =>
                    {
                        using var scope = RequestContext.WithIdempotencyKey(MessageKey("cancel", runId));
                        return child.CancelWithManagerAsync(runId, reason);
                    },
                    deadline,
                    stopping).ConfigureAwait(false);
                LogSpecialistCancelled(logger, SessionId, runId, reason);
            }
            catch (Exception ex) when (ex is RunConflictException or RunNotFoundException or SessionNotFoundException or IdempotencyKeyReusedException)
            {
                // Ended already, never started, or cancelled by an earlier message of this manager (for another reason): nothing to do.
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSpecialistCancelFailed(logger, SessionId, runId, ex);
            }
        })).ConfigureAwait(false);
    });

    private async Task<T> RetryTransientAsync<T>(Func<Task<T>> call, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (AgentGrainsException ex) when (ex.IsTransient && timeProvider.GetUtcNow() + RetryDelay < deadline && !cancellationToken.IsCancellationRequested)
            {
                // The specialist's silo died or drains; its session comes back on another silo.
                await Task.Delay(RetryDelay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The session a call of specialist <paramref name="name"/> runs in: one per call, or one per manager session.</summary>
    /// <remarks>
    /// Ids people give sessions never contain <c>~</c>, so these can never collide with one, and a
    /// specialist run id (<c>{session}~{n}</c>) still names its session.
    /// </remarks>
    private string SpecialistSessionId(string runId, int step, int index, string name, SpecialistContract contract) =>
        contract.KeepsConversation
            ? string.Create(CultureInfo.InvariantCulture, $"{SessionId}{RunIds.Separator}{name}")
            : string.Create(CultureInfo.InvariantCulture, $"{runId}.{step}.{index}");

    /// <summary>The idempotency key of a message about a call or a run (<c>{purpose}:{key}</c>); hashed when too long for one.</summary>
    private static string MessageKey(string purpose, string key)
    {
        var full = $"{purpose}:{key}";
        return full.Length <= RequestContext.MaxIdempotencyKeyLength
            ? full
            : $"{purpose}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";
    }

    private static decimal? Sum(decimal? a, decimal? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);
}
