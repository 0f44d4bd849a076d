using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Telemetry;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Runs;

/// <summary>Managers calling specialists: each call is a run of the specialist agent in a session of its own, started, awaited and cancelled from here.</summary>
/// <remarks>
/// <para><b>Durable and unique.</b> The specialist's session id and the message's idempotency key are
/// both derived from the manager call's key (<c>{runId}:{step}:{callIndex}</c>), so a manager that
/// replays the call after a crash or a takeover finds the run its first attempt started instead of
/// starting a second one. The call's reply is journaled before the message is sent (specialist
/// calls never run early), so a replay sends the same request.</para>
/// <para><b>No deadlock.</b> The manager's driver waits for the specialist outside any turn (long
/// polls of the specialist's run), so the manager's session keeps answering reads, cancellation and
/// approvals.</para>
/// <para><b>Failures are results.</b> Whatever ends the specialist run other than completion comes
/// back to the manager's model as a typed tool error (<see cref="DelegationErrors"/>), and the
/// manager run goes on.</para>
/// </remarks>
public sealed partial class SpecialistCalls
{
    // A call retrying a transient failure (the specialist's silo died, a stale activation refused it) waits this long between tries.
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    // How long cancelling a specialist run keeps retrying transient failures before it gives up.
    private static readonly TimeSpan CancelRetryLimit = TimeSpan.FromSeconds(30);

    private readonly string sessionId;
    private readonly RunEngine engine;
    private readonly AgentCatalog catalog;
    private readonly DelegationOptions delegation;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly ISpecialistHost host;

    /// <summary>Creates the specialist calls of one manager session's activation.</summary>
    public SpecialistCalls(string sessionId, RunEngine engine, AgentCatalog catalog, DelegationOptions delegation, TimeProvider timeProvider, ILogger logger, ISpecialistHost host)
    {
        this.sessionId = sessionId;
        this.engine = engine;
        this.catalog = catalog;
        this.delegation = delegation;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.host = host;
    }

    /// <summary>Runs one specialist call (outside any turn): starts or finds its run, journals the link, waits for the run to end.</summary>
    /// <remarks>Traced as an <c>execute_tool {name}</c> span while anyone listens; the specialist's run joins the trace through the call that starts it.</remarks>
    public Task<ToolOutcome> CallAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(call);
        return AgentTelemetry.Source.HasListeners() ? TracedCallAsync(plan, call, cancellationToken) : CallUntracedAsync(plan, call, cancellationToken);
    }

    private async Task<ToolOutcome> TracedCallAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken)
    {
        // Current in this call's flow only: the grain calls below carry it to the specialist's session.
        using var span = AgentTelemetry.StartTool(call.Name, call.CallId, ToolCallState.KeyOf(plan.RunId, plan.Step, call.Index), specialist: true);
        var outcome = await CallUntracedAsync(plan, call, cancellationToken);
        AgentTelemetry.EndTool(span, call.Name, outcome.Result);
        return outcome;
    }

    private async Task<ToolOutcome> CallUntracedAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken)
    {
        var startedAt = timeProvider.GetUtcNow();
        var started = timeProvider.GetTimestamp();
        var contract = catalog.Get(call.Name).Contract!;
        var key = ToolCallState.KeyOf(plan.RunId, plan.Step, call.Index);
        var child = host.Session(engine.SpecialistSessionId(plan.RunId, plan.Step, call.Index, call.Name, contract));
        // The contract's timeout, or the manager's wall-time budget if that runs out first.
        var deadline = timeProvider.GetUtcNow() + contract.Timeout;
        var budgetBound = plan.WallTimeEnd < deadline;
        deadline = budgetBound ? plan.WallTimeEnd : deadline;
        var request = new DelegatedRun(call.Name, call.Arguments, plan.RunId, plan.Path, engine.UserId, engine.Owner);
        ToolOutcome Outcome(ToolResult result, RunView? view) =>
            new(result, timeProvider.GetElapsedTime(started).TotalMilliseconds, view?.TotalTokens ?? 0, Sum(view?.Cost, view?.DelegatedCost), startedAt);

        RunSubmission submission;
        try
        {
            submission = await RetryTransientAsync(
                () =>
                {
                    using var scope = host.UseKey(MessageKey("delegate", key));
                    return child.StartDelegatedAsync(request).WaitAsync(SessionCalls.CallMargin, timeProvider);
                },
                deadline,
                cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Outcome(DelegationErrors.Of(DelegationErrors.SpecialistFailed, $"specialist '{call.Name}' could not be started: {ex.Message}"), null);
        }

        if (cancellationToken.IsCancellationRequested && !host.Stopping.IsCancellationRequested && !await host.IsActiveAsync(plan.RunId))
        {
            // The manager run ended while the request was on its way: the cancellation it sent may
            // have reached the specialist first, so this run would be left running.
            _ = CancelAsync([submission.RunId], $"cancelled because its manager run {plan.RunId} ended");
        }

        cancellationToken.ThrowIfCancellationRequested();
        // Journaled while the specialist runs, not before: the link's commit stays off the call's
        // critical path, and turns run in order, so it commits before the result's turn.
        var link = host.RecordLinkAsync(plan.RunId, plan.Step, call.Index, submission.RunId);
        var outcome = await WaitAsync(call, contract, child, submission, deadline, budgetBound, Outcome, cancellationToken);
        await link;
        return outcome;
    }

    /// <summary>Cancels specialist runs that their manager run no longer waits for (retried through takeovers); never throws.</summary>
    public Task CancelAsync(IReadOnlyList<string> runIds, string reason)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        var deadline = timeProvider.GetUtcNow() + CancelRetryLimit;
        return Task.WhenAll(runIds.Select(async runId =>
        {
            if (!RunIds.TryParse(runId, out var childSession, out _))
            {
                return;
            }

            try
            {
                var child = host.Session(childSession);
                await RetryTransientAsync(
                    () =>
                    {
                        using var scope = host.UseKey(MessageKey("cancel", runId));
                        return child.CancelWithManagerAsync(runId, reason).WaitAsync(SessionCalls.CallMargin, timeProvider);
                    },
                    deadline,
                    host.Stopping);
                LogSpecialistCancelled(logger, sessionId, runId, reason);
            }
            catch (Exception ex) when (ex is RunConflictException or RunNotFoundException or SessionNotFoundException || host.IsKeyReused(ex))
            {
                // Ended already, never started, or cancelled by an earlier message of this manager (for another reason): nothing to do.
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSpecialistCancelFailed(logger, sessionId, runId, ex);
            }
        }));
    }

    /// <summary>Long-polls the specialist run until it ends, its call times out (its run is then cancelled), or the driver stops.</summary>
    private async Task<ToolOutcome> WaitAsync(
        PlannedCall call,
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
                _ = CancelAsync([submission.RunId], $"cancelled because it did not finish {limit}");
                return outcomeOf(DelegationErrors.Of(
                    DelegationErrors.TimedOut,
                    $"specialist '{call.Name}' (run {submission.RunId}) did not finish {limit}, last seen {view?.Status ?? RunStatus.Running}; its run was cancelled."), view);
            }

            var wait = remaining < delegation.PollWait ? remaining : delegation.PollWait;
            try
            {
                var polled = timeProvider.GetUtcNow();
                // Bounded beyond the poll's wait: a call in flight to a silo that dies is never answered
                // (Orleans fails it only at its response timeout), so it is abandoned and sent again.
                view = await RetryTransientAsync(() => child.WaitForRunAsync(submission.RunId, wait).WaitAsync(wait + SessionCalls.CallMargin, timeProvider), deadline, cancellationToken) ?? view;
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

    private async Task<T> RetryTransientAsync<T>(Func<Task<T>> call, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (host.IsTransient(ex) && timeProvider.GetUtcNow() + RetryDelay < deadline && !cancellationToken.IsCancellationRequested)
            {
                // The specialist's silo died or its activation went stale; its session comes back on another silo.
                await Task.Delay(RetryDelay, timeProvider, cancellationToken);
            }
        }
    }

    /// <summary>The idempotency key of a message about a call or a run (<c>{purpose}:{key}</c>); hashed when too long for one.</summary>
    private string MessageKey(string purpose, string key)
    {
        var full = $"{purpose}:{key}";
        return full.Length <= host.MaxKeyLength
            ? full
            : $"{purpose}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static decimal? Sum(decimal? a, decimal? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: specialist run {RunId} cancelled because {Reason}")]
    private static partial void LogSpecialistCancelled(ILogger logger, string sessionId, string runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: cancelling specialist run {RunId} failed; it ends by its own budgets")]
    private static partial void LogSpecialistCancelFailed(ILogger logger, string sessionId, string runId, Exception exception);
}
