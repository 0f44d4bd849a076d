// The driver of this (home-made runtime) grain runs off the grain's scheduler on purpose and reaches
// grain state only through queued turns, so leaving the captured context is right here.
#pragma warning disable ORLEANS0014

using AgentGrains.Grains.Runs;

namespace AgentGrains.Grains.Sessions;

public sealed partial class RuntimeSessionGrain
{
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

    /// <summary>The driver: plans in a turn, makes the slow call outside any turn, journals the outcome in a turn; until the run stops going on.</summary>
    private async Task DriveAsync(int driver, string? resumeReason, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var reason = resumeReason;
                resumeReason = null;
                var plan = await RunTurnAsync(() => PlanTurnAsync(driver, reason)).ConfigureAwait(false);
                switch (plan)
                {
                    case ModelPlan call:
                        var outcome = await Calls.CallModelAsync(call, cancellationToken).ConfigureAwait(false);
                        var early = outcome.Response is { } response ? await Calls.RunEarlyAsync(call, response, cancellationToken).ConfigureAwait(false) : null;
                        cancellationToken.ThrowIfCancellationRequested();
                        await RunTurnAsync(() => ChangeAsync(() => Engine.RecordModelReply(call, outcome, early))).ConfigureAwait(false);
                        break;
                    case ToolsPlan tools:
                        // In parallel: tools, and specialist runs on whichever silos own their sessions.
                        await Task.WhenAll(tools.Calls.Select(c => RunCallAsync(tools, c, cancellationToken))).ConfigureAwait(false);
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

    /// <summary>Decides the driver's next action (a turn); null for a driver that was replaced.</summary>
    private async Task<DriverPlan?> PlanTurnAsync(int driver, string? resumeReason)
    {
        if (driver != generation)
        {
            return null;
        }

        var plan = await Engine.PlanAsync(resumeReason, stopping);
        await ApplyAsync();
        return plan;
    }

    /// <summary>Makes one call of a journaled reply (a tool, or a specialist run) and journals its outcome in a turn.</summary>
    private async Task RunCallAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken)
    {
        var outcome = Engine.IsSpecialistCall(plan.Agent, call.Name)
            ? await DelegateAsync(plan, call, cancellationToken).ConfigureAwait(false)
            : await Calls.InvokeToolAsync(plan, call, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        await RunTurnAsync(() => ChangeAsync(() => Engine.RecordToolResult(plan.RunId, plan.Step, call.Index, outcome))).ConfigureAwait(false);
    }

    /// <summary>Runs an engine change and applies what it asks for (the body of a turn).</summary>
    private Task ChangeAsync(Action change)
    {
        change();
        return ApplyAsync();
    }
}
