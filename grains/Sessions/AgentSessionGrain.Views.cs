using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Runs;

namespace AgentGrains.Grains.Sessions;

public sealed partial class AgentSessionGrain
{
    private const int MaxEventsPerPage = 256;

    /// <summary>The longest a reader may wait in one call (keep it below <c>Silo:ResponseTimeout</c>).</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    private readonly Lock publishGate = new();
    private Published published = Published.Empty;
    // Created by the first reader that waits, so an idle session without readers holds none.
    private TaskCompletionSource? changed;
    private bool publishQueued;

    /// <inheritdoc />
    public async Task<RunView?> GetRunAsync(string runId) =>
        await FindRunAsync(runId) is { } found ? found.View : null;

    /// <inheritdoc />
    public async Task<RunView?> WaitForRunAsync(string runId, TimeSpan timeout)
    {
        var deadline = timeProvider.GetUtcNow() + Clamp(timeout);
        while (true)
        {
            var signal = Changed;
            var found = await FindRunAsync(runId);
            if (found is null || found.View.IsTerminal || !await WaitAsync(signal, deadline))
            {
                return found is null || found.View.IsTerminal ? found?.View : (await FindRunAsync(runId))?.View;
            }
        }
    }

    /// <inheritdoc />
    public async Task<RunEventPage> GetRunEventsAsync(string runId, long after, TimeSpan wait)
    {
        after = Math.Max(0, after);
        var deadline = timeProvider.GetUtcNow() + Clamp(wait);
        while (true)
        {
            var signal = Changed;
            var found = await FindRunAsync(runId) ?? throw new RunNotFoundException($"Run '{runId}' does not exist.");
            if (after < found.EventCount)
            {
                var count = (int)Math.Min(found.EventCount - after, MaxEventsPerPage);
                var page = await events.ReadAsync(found.FirstEvent + after, count, stopping);
                return new RunEventPage(page, found.View.IsTerminal && found.EventCount > 0 && after + page.Count >= found.EventCount);
            }

            if (found.View.IsTerminal && found.EventCount > 0)
            {
                return new RunEventPage([], Finished: true);
            }

            if (!await WaitAsync(signal, deadline))
            {
                return new RunEventPage([], Finished: false);
            }
        }
    }

    private Task Changed
    {
        get
        {
            lock (publishGate)
            {
                changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return changed.Task;
            }
        }
    }

    /// <summary>A committed run by id: active or queued from the last publication, finished from the <c>runs</c> log.</summary>
    private async Task<PublishedRun?> FindRunAsync(string runId)
    {
        var current = published;
        if (current.Agent is not { } agent || !RunIds.TryParse(runId, out var sessionId, out var number)
            || !string.Equals(sessionId, SessionId, StringComparison.Ordinal))
        {
            return null;
        }

        if (current.Runs.TryGetValue(runId, out var run))
        {
            return run;
        }

        if (number > current.RunsFinished)
        {
            return null;
        }

        var rows = await runs.ReadAsync(number - 1, 1, stopping);
        return rows.Count == 1 ? new PublishedRun(rows[0].ToView(SessionId, agent, rows[0].Messages), rows[0].FirstEvent, rows[0].EventCount) : null;
    }

    private async Task<bool> WaitAsync(Task signal, DateTimeOffset deadline)
    {
        var remaining = deadline - timeProvider.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return false;
        }

        try
        {
            await signal.WaitAsync(remaining, timeProvider, stopping);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo is going down under a waiting reader (killed, or its graceful stop gave up):
            // answer with what has committed, as on a timeout. An exception here is not transient to
            // the caller, so an event stream long-polling this activation would break instead of
            // polling again and reaching the session on its next owner.
            return false;
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxWait ? MaxWait : wait;

    /// <summary>What readers may see once the current turn commits; call on the grain's scheduler.</summary>
    private Published Snapshot()
    {
        var agent = Session.Agent;
        var messages = history.Count;
        if (Session.Active is null && Session.Queue.Count == 0)
        {
            // The common idle case shares one empty map.
            return new Published(agent, messages, Session.RunsFinished, Published.NoRuns, Session.CurrentAgent);
        }

        var active = new Dictionary<string, PublishedRun>(StringComparer.Ordinal);
        if (agent is not null)
        {
            if (Session.Active is { } run)
            {
                active[run.RunId] = new PublishedRun(run.ToView(SessionId, agent, messages), run.FirstEvent, run.EventCount);
            }

            foreach (var queued in Session.Queue)
            {
                active[queued.RunId] = new PublishedRun(queued.ToView(SessionId, agent, messages), 0, 0);
            }
        }

        return new Published(agent, messages, Session.RunsFinished, active, Session.CurrentAgent);
    }

    /// <summary>Shows a committed snapshot to readers and wakes those waiting.</summary>
    /// <remarks>Called on the grain's scheduler right after each commit, so snapshots arrive in commit order.</remarks>
    private void Publish(Published snapshot)
    {
        TaskCompletionSource? previous;
        lock (publishGate)
        {
            published = snapshot;
            previous = changed;
            changed = null;
        }

        previous?.TrySetResult();
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
            Publish(Snapshot());
        });
    }

    /// <summary>What readers see: only what has committed.</summary>
    private sealed record Published(string? Agent, long History, long RunsFinished, IReadOnlyDictionary<string, PublishedRun> Runs, string? CurrentAgent = null)
    {
        public static IReadOnlyDictionary<string, PublishedRun> NoRuns { get; } = new Dictionary<string, PublishedRun>();

        public static Published Empty { get; } = new(null, 0, 0, NoRuns);
    }

    private sealed record PublishedRun(RunView View, long FirstEvent, long EventCount);
}
