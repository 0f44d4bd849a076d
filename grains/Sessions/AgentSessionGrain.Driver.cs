using System.Diagnostics;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Grains.Sessions;

public sealed partial class AgentSessionGrain
{
    // The driver of the active run. A new driver gets a new generation; a driver whose generation is
    // not the current one plans nothing more (its results, if still wanted, are still journaled).
    private int generation;
    private CancellationTokenSource? driverCancellation;
    private Task? driverTask;

    // This activation's span of the active run (null when nobody listens): started by the first driver
    // of the run here, ended when the run's end commits or the activation goes.
    private Activity? runSpan;
    private string? runSpanId;
    // The driver's open step span, ended with the run's span when the run's end commits (before the driver notices).
    private Activity? stepSpanOpen;

    private bool DriverAlive => driverTask is { IsCompleted: false };

    /// <summary>Starts a new driver for the active run, stopping the current one.</summary>
    /// <remarks>
    /// The driver runs on the activation's scheduler but is not a turn: its first act is a turn
    /// (<see cref="InTurnAsync{T}"/>), which Orleans runs only after the current one has ended, so it
    /// never acts on a change that has not committed.
    /// </remarks>
    private void StartDriver(string? resumeReason)
    {
        StopDriver();
        var current = ++generation;
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        driverCancellation = cancellation;
        driverTask = DriveAsync(current, resumeReason, cancellation.Token);
    }

    private void StopDriver()
    {
        generation++;
        // Disposed here and never by the driver: a driver that ended by itself (its run waits for an
        // approval) would otherwise leave a disposed source behind for the next stop to trip on.
        if (driverCancellation is { } cancellation)
        {
            cancellation.Cancel();
            cancellation.Dispose();
        }

        driverCancellation = null;
        driverTask = null;
    }

    /// <summary>The driver: plans in a turn, makes the slow call outside any turn, journals the outcome in a turn; until the run stops going on.</summary>
    private async Task DriveAsync(int driver, string? resumeReason, CancellationToken cancellationToken)
    {
        // Yield first: the turn that started the driver finishes (and commits) before the driver plans.
        await Task.Yield();
        // The driver's spans nest under the run's, never under the call or turn that started the driver.
        if (Activity.Current is not null)
        {
            Activity.Current = null;
        }

        // The step in progress: its number, agent, span (when traced) and when it was planned.
        var step = 0;
        AgentDefinition? stepAgent = null;
        Activity? stepSpan = null;
        var stepStarted = 0L;
        string? stopped = "the driver stopped";
        try
        {
            var plan = await InTurnAsync(() => PlanTurnAsync(driver, resumeReason));
            while (!cancellationToken.IsCancellationRequested)
            {
                var (runId, number, agent) = plan switch
                {
                    ModelPlan m => (m.RunId, m.Step, m.Agent),
                    ToolsPlan t => (t.RunId, t.Step, t.Agent),
                    SummaryPlan s => (s.Request.RunId, s.Request.Step, s.Request.Agent),
                    MemoryPlan m => (m.RunId, m.Step, m.Agent),
                    _ => (null, 0, null),
                };
                if (agent is not null && (number != step || stepAgent is null))
                {
                    // A new step (its model call), or the calls of a journaled reply this driver resumes at:
                    // the step before it has ended (its outcomes are journaled).
                    if (stepAgent is not null)
                    {
                        AgentTelemetry.EndStep(stepSpan, stepAgent.Name, stepStarted, error: null);
                    }

                    (step, stepAgent, stepStarted) = (number, agent, Stopwatch.GetTimestamp());
                    stepSpan = AgentTelemetry.StartStep(RunSpanFor(runId!, agent, resumeReason), number, agent.Name);
                    stepSpanOpen = stepSpan;
                }

                switch (plan)
                {
                    case ModelPlan call:
                        // Off the scheduler: a model client that blocks must not hold the session.
                        var outcome = await Task.Run(() => Calls.CallModelAsync(call, cancellationToken), CancellationToken.None);
                        var early = outcome.Response is { } response
                            ? await Task.Run(() => Calls.RunEarlyAsync(call, response, cancellationToken), CancellationToken.None)
                            : null;
                        cancellationToken.ThrowIfCancellationRequested();
                        // The reply is journaled and the next action planned in one turn: it sees the
                        // committed reply, and a step costs one turn, not two.
                        plan = await InTurnAsync(async () => await ChangeTurnAsync(() => Engine.RecordModelReply(call, outcome, early))
                            ? await PlanTurnAsync(driver, resumeReason: null)
                            : null);
                        break;
                    case SummaryPlan summary:
                        // The summary is a model call of the step it comes before, journaled before that step's call sees it.
                        var summarized = await Task.Run(() => Calls.CallModelAsync(summary.Request, cancellationToken), CancellationToken.None);
                        cancellationToken.ThrowIfCancellationRequested();
                        plan = await InTurnAsync(async () => await ChangeTurnAsync(() => Engine.RecordSummary(summary, summarized))
                            ? await PlanTurnAsync(driver, resumeReason: null)
                            : null);
                        break;
                    case MemoryPlan recall:
                        // The user's facts are read before the step's model call and journaled before it sees them.
                        var (facts, failure) = await Task.Run(() => Calls.RecallAsync(recall, cancellationToken), CancellationToken.None);
                        cancellationToken.ThrowIfCancellationRequested();
                        plan = await InTurnAsync(async () => await ChangeTurnAsync(() => Engine.RecordMemory(recall, facts, failure))
                            ? await PlanTurnAsync(driver, resumeReason: null)
                            : null);
                        break;
                    case ToolsPlan tools:
                        // In parallel: tools, and specialist runs on whichever silos own their sessions.
                        await Task.WhenAll(tools.Calls.Select(c => RunCallAsync(tools, c, cancellationToken)));
                        plan = await InTurnAsync(() => PlanTurnAsync(driver, resumeReason: null));
                        break;
                    default:
                        // The run ended or waits for a person: the last step's outcome is journaled.
                        stopped = null;
                        return;
                }
            }

            // Stopped between turns (the run's end stops its driver): the last step's outcome is journaled too.
            stopped = null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the run ended, was cancelled, another driver took over, or the activation went away.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A turn could not run or commit (the activation went stale or away). Nothing unjournaled
            // is lost for good: the next activation or the watchdog resumes the run from its journal.
            stopped = ex.Message;
            LogDriverStopped(logger, SessionId, ex.Message, ex);
        }
        finally
        {
            if (stepAgent is not null)
            {
                AgentTelemetry.EndStep(stepSpan, stepAgent.Name, stepStarted, stopped);
            }
        }
    }

    /// <summary>This activation's span of run <paramref name="runId"/>: the one it has, or a new one under the trace context journaled with the run; null when nobody listens.</summary>
    private Activity? RunSpanFor(string runId, AgentDefinition agent, string? resumeReason)
    {
        if (string.Equals(runSpanId, runId, StringComparison.Ordinal))
        {
            return runSpan;
        }

        if (runSpan is not null)
        {
            EndRunSpan(GrainInterfaces.Runs.RunStatus.Running, "another run is driven now");
        }

        var run = Log.State.Active;
        var current = run is not null && string.Equals(run.RunId, runId, StringComparison.Ordinal) ? run : null;
        runSpan = AgentTelemetry.StartRun(current?.TraceParent, agent.Name, SessionId, runId, current?.ParentRunId, RuntimeIdentity, resumeReason);
        runSpanId = runSpan is null ? null : runId;
        return runSpan;
    }

    /// <summary>Ends this activation's span of the active run (the run ended, or this activation stops driving it).</summary>
    private void EndRunSpan(string status, string? reason)
    {
        if (stepSpanOpen is { } step)
        {
            // The step that ended the run ends with it (the driver's own end of it then changes nothing).
            stepSpanOpen = null;
            AgentTelemetry.EndSpan(step);
        }

        AgentTelemetry.EndRun(runSpan, status, reason);
        runSpan = null;
        runSpanId = null;
    }

    /// <summary>Decides the driver's next action (a turn); null for a driver that was replaced.</summary>
    private async Task<DriverPlan?> PlanTurnAsync(int driver, string? resumeReason)
    {
        if (driver != generation || stale is not null)
        {
            return null;
        }

        var plan = await Engine.PlanAsync(resumeReason, Stopping);
        await ApplyAsync();
        return plan;
    }

    /// <summary>Makes one call of a journaled reply (a tool, or a specialist run) and journals its outcome in a turn.</summary>
    private async Task RunCallAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken)
    {
        var outcome = Engine.IsSpecialistCall(plan.Agent, call.Name)
            ? await DelegateAsync(plan, call, cancellationToken)
            : await Task.Run(() => Calls.InvokeToolAsync(plan, call, cancellationToken), CancellationToken.None);
        cancellationToken.ThrowIfCancellationRequested();
        await InTurnAsync(() => ChangeTurnAsync(() => Engine.RecordToolResult(plan.RunId, plan.Step, call.Index, outcome)));
    }

    /// <summary>Runs an engine change of the driver and commits it (the body of a turn); a stale activation changes nothing.</summary>
    private async Task<bool> ChangeTurnAsync(Action change)
    {
        if (stale is not null)
        {
            return false;
        }

        Change(change);
        await ApplyAsync();
        return true;
    }

    /// <summary>Runs <paramref name="work"/> as a turn of this activation: never alongside a request or another turn.</summary>
    /// <remarks>
    /// A one-shot grain timer that does not interleave is delivered like a request, so the work sees
    /// the state between two committed changes. The timer keeps the activation alive while queued;
    /// if the activation goes away first, the wait ends with <see cref="OperationCanceledException"/>.
    /// </remarks>
    private Task<T> InTurnAsync<T>(Func<Task<T>> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        IGrainTimer? timer = null;
        timer = this.RegisterGrainTimer(
            async () =>
            {
                timer?.Dispose();
                try
                {
                    done.TrySetResult(await work());
                }
                catch (Exception ex)
                {
                    done.TrySetException(ex);
                }
            },
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        return done.Task.WaitAsync(Stopping);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: the run driver stopped ({Reason}); the run resumes from its journal")]
    private static partial void LogDriverStopped(ILogger logger, string sessionId, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: this activation stops committing and deactivates: {Reason}")]
    private static partial void LogRetired(ILogger logger, string sessionId, string reason);
}
