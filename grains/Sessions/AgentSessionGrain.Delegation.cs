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

    /// <summary>Runs one specialist call (outside any turn): starts or finds its run, journals the link, waits for the run to end.</summary>
    private async Task<ToolOutcome> DelegateAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var contract = catalog.Get(call.Name).Contract!;
        var key = ToolCallState.KeyOf(plan.RunId, plan.Step, call.Index);
        var child = GrainFactory.GetGrain<IAgentSessionGrain>(Engine.SpecialistSessionId(plan.RunId, plan.Step, call.Index, call.Name, contract));
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
            && !await RunTurnAsync(() => Task.FromResult(Engine.IsActive(plan.RunId))).ConfigureAwait(false))
        {
            // The manager run ended while the request was on its way: the cancellation it sent may
            // have reached the specialist's inbox first, so this run would be left running.
            _ = CancelSpecialistsAsync([submission.RunId], $"cancelled because its manager run {plan.RunId} ended");
        }

        cancellationToken.ThrowIfCancellationRequested();
        // Journaled while the specialist runs, not before: the link's commit stays off the call's
        // critical path, and turns run in order, so it commits before the result's turn.
        var link = RunTurnAsync(() => ChangeAsync(() => Engine.RecordDelegation(plan.RunId, plan.Step, call.Index, submission.RunId)));
        var outcome = await WaitForSpecialistAsync(call, contract, child, submission, deadline, budgetBound, Outcome, cancellationToken).ConfigureAwait(false);
        await link.ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Long-polls the specialist run until it ends, its call times out (its run is then cancelled), or the driver stops.</summary>
    private async Task<ToolOutcome> WaitForSpecialistAsync(
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

    /// <summary>The idempotency key of a message about a call or a run (<c>{purpose}:{key}</c>); hashed when too long for one.</summary>
    private static string MessageKey(string purpose, string key)
    {
        var full = $"{purpose}:{key}";
        return full.Length <= RequestContext.MaxIdempotencyKeyLength
            ? full
            : $"{purpose}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static decimal? Sum(decimal? a, decimal? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);
}
