using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Grains.Sessions;

/// <summary>What readers of a session see: only what has committed, published after each commit, with waits for the next change.</summary>
/// <remarks>
/// <para>The grain publishes a snapshot of the state right after each commit (before the caller of
/// the change is answered), so a reader never sees a reply that a crash could still take back.
/// Active and queued runs come from the snapshot, and so does the run that ended last while the
/// grain keeps it (its waiters are answered without a read); other finished runs come from the
/// <c>runs</c> stream.</para>
/// <para>Readers that wait (long polls) wait for the next publication, bounded by their deadline
/// and by <see cref="MaxWait"/>; a silo going down answers them with what has committed, as soon as
/// it starts to deactivate its grains (a waiting reader would otherwise hold the deactivation up).</para>
/// </remarks>
public sealed class SessionReadModel
{
    /// <summary>The longest a reader may wait in one call.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    private const int MaxEventsPerPage = 256;
    private const int ReadPageSize = 500;

    private readonly string sessionId;
    private readonly ISessionLog log;
    private readonly TimeProvider timeProvider;
    private readonly CancellationToken stopping;
    private readonly CancellationToken draining;
    private readonly Lock publishGate = new();
    private Published published = Published.Empty;
    // Created by the first reader that waits, so an idle session without readers holds none.
    private TaskCompletionSource? changed;

    /// <summary>Creates the read model of one session's activation.</summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="log">The session's streams (committed reads).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="stopping">Cancelled when the activation goes away: waiting readers are answered then, reads in progress give up.</param>
    /// <param name="draining">Cancelled when the silo starts deactivating its grains: waiting readers are answered then, reads in progress finish.</param>
    public SessionReadModel(string sessionId, ISessionLog log, TimeProvider timeProvider, CancellationToken stopping, CancellationToken draining = default)
    {
        this.sessionId = sessionId;
        this.log = log;
        this.timeProvider = timeProvider;
        this.stopping = stopping;
        this.draining = draining;
    }

    /// <summary>The session's agent as last committed; null while it was never created.</summary>
    public string? Agent => published.Agent;

    /// <summary>The user whose memory the session uses, as committed; null for none.</summary>
    public string? UserId => published.UserId;

    /// <summary>Who created the session, as committed; null for nobody in particular.</summary>
    public string? Owner => published.Owner;

    /// <summary>The agent a handoff moved the conversation to, as last committed.</summary>
    public string? CurrentAgent => published.CurrentAgent;

    /// <summary>Shows the committed state to readers and wakes those waiting; call right after each commit, in commit order.</summary>
    /// <param name="session">The committed state.</param>
    /// <param name="finished">The run that ended last, as committed, while it is kept in memory (its waiters read it here, not from the journal).</param>
    public void Publish(AgentSessionState session, RunState? finished = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var snapshot = Snapshot(session, finished);
        TaskCompletionSource? previous;
        lock (publishGate)
        {
            published = snapshot;
            previous = changed;
            changed = null;
        }

        previous?.TrySetResult();
    }

    /// <summary>The run as last committed, or null.</summary>
    public async Task<RunView?> GetRunAsync(string runId) =>
        await FindRunAsync(runId).ConfigureAwait(false) is { } found ? found.View : null;

    /// <summary>Waits up to <paramref name="timeout"/> for the run to end (or, with <paramref name="orApproval"/>, to pause for a person's approval); its view either way (null if unknown).</summary>
    public async Task<RunView?> WaitForRunAsync(string runId, TimeSpan timeout, bool orApproval = false)
    {
        var deadline = timeProvider.GetUtcNow() + Clamp(timeout);
        var first = await FindRunAsync(runId).ConfigureAwait(false);
        bool Done(RunView view) => view.IsTerminal || (orApproval && view.Status == RunStatus.AwaitingApproval);
        if (first is null || Done(first.View))
        {
            // Ended or unknown: answered without a signal to wait on (an idle session keeps none).
            return first?.View;
        }

        while (true)
        {
            var signal = Changed;
            var found = await FindRunAsync(runId).ConfigureAwait(false);
            if (found is null || Done(found.View) || !await WaitAsync(signal, deadline).ConfigureAwait(false))
            {
                return found is null || Done(found.View) ? found?.View : (await FindRunAsync(runId).ConfigureAwait(false))?.View;
            }
        }
    }

    /// <summary>The run's committed events after <paramref name="after"/>, waiting up to <paramref name="wait"/> for one.</summary>
    /// <exception cref="RunNotFoundException">No such run.</exception>
    public async Task<RunEventPage> GetRunEventsAsync(string runId, long after, TimeSpan wait)
    {
        after = Math.Max(0, after);
        var deadline = timeProvider.GetUtcNow() + Clamp(wait);
        while (true)
        {
            var signal = Changed;
            var found = await FindRunAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException($"Run '{runId}' does not exist.");
            if (after < found.EventCount)
            {
                var count = (int)Math.Min(found.EventCount - after, MaxEventsPerPage);
                var page = await ReadAsync(log.ReadEventsAsync(found.FirstEvent + after, count, stopping)).ConfigureAwait(false);
                return new RunEventPage(page, found.View.IsTerminal && found.EventCount > 0 && after + page.Count >= found.EventCount);
            }

            if (found.View.IsTerminal && found.EventCount > 0)
            {
                return new RunEventPage([], Finished: true);
            }

            if (!await WaitAsync(signal, deadline).ConfigureAwait(false))
            {
                return new RunEventPage([], Finished: false);
            }
        }
    }

    /// <summary>Up to <paramref name="limit"/> committed runs numbered below <paramref name="before"/> (0 or less: from the newest), newest first; null while the session was never created.</summary>
    /// <remarks>
    /// Runs end in number order, so the newest ones are the active and queued runs of the last
    /// publication and the rest are rows of the <c>runs</c> stream at number − 1: a page is at most
    /// one range read of that stream, however many runs the session has.
    /// </remarks>
    public async Task<RunPage?> ListRunsAsync(long before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var current = published;
        if (current.Agent is not { } agent)
        {
            return null;
        }

        var newest = current.RunsFinished + current.Runs.Count;
        var top = before <= 0 ? newest : Math.Min(before - 1, newest);
        var bottom = Math.Max(1, top - limit + 1);
        var runs = new List<RunSummary>((int)Math.Max(0, top - bottom + 1));
        for (var number = top; number >= bottom && number > current.RunsFinished; number--)
        {
            if (current.Runs.TryGetValue(RunIds.Format(sessionId, number), out var active))
            {
                runs.Add(RunSummary.From(active.View));
            }
        }

        var finished = Math.Min(top, current.RunsFinished);
        if (finished >= bottom)
        {
            var rows = await ReadAsync(log.ReadRunsAsync(bottom - 1, (int)(finished - bottom + 1), stopping)).ConfigureAwait(false);
            for (var i = rows.Count - 1; i >= 0; i--)
            {
                runs.Add(RunSummary.From(rows[i].ToView(sessionId, agent, rows[i].Messages)));
            }
        }

        return new RunPage(runs, bottom > 1 ? bottom : null);
    }

    /// <summary>The committed conversation, in order.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> ReadHistoryAsync()
    {
        var end = published.History;
        var entries = new List<HistoryEntry>((int)Math.Min(end, ReadPageSize));
        while (entries.Count < end)
        {
            var page = await ReadAsync(log.ReadHistoryAsync(entries.Count, (int)Math.Min(ReadPageSize, end - entries.Count), stopping)).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            entries.AddRange(page);
        }

        return entries;
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

    /// <summary>A committed run by id: active or queued from the last publication, finished from the <c>runs</c> stream.</summary>
    private async Task<PublishedRun?> FindRunAsync(string runId)
    {
        var current = published;
        if (current.Agent is not { } agent || !RunIds.TryParse(runId, out var owner, out var number)
            || !string.Equals(owner, sessionId, StringComparison.Ordinal))
        {
            return null;
        }

        if (current.Runs.TryGetValue(runId, out var run))
        {
            return run;
        }

        if (current.Finished is { } finished && string.Equals(finished.View.RunId, runId, StringComparison.Ordinal))
        {
            return finished;
        }

        if (number > current.RunsFinished)
        {
            return null;
        }

        var rows = await ReadAsync(log.ReadRunsAsync(number - 1, 1, stopping)).ConfigureAwait(false);
        return rows.Count == 1 ? new PublishedRun(rows[0].ToView(sessionId, agent, rows[0].Messages), rows[0].FirstEvent, rows[0].EventCount) : null;
    }

    private async Task<bool> WaitAsync(Task signal, DateTimeOffset deadline)
    {
        var remaining = deadline - timeProvider.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return false;
        }

        using var ended = draining.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(stopping, draining) : null;
        try
        {
            await signal.WaitAsync(remaining, timeProvider, ended?.Token ?? stopping).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || draining.IsCancellationRequested)
        {
            // The silo is going down under a waiting reader (draining, killed, or its graceful stop gave up):
            // answer with what has committed, as on a timeout. An exception here is not transient to
            // the caller, so an event stream long-polling this activation would break instead of
            // polling again and reaching the session on its next owner.
            return false;
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxWait ? MaxWait : wait;

    /// <summary>What readers may see of <paramref name="session"/> once it has committed.</summary>
    private Published Snapshot(AgentSessionState session, RunState? finishedRun)
    {
        var agent = session.Agent;
        var messages = log.HistoryCount;
        // A finished run does not change: its view is built once, when it is first published.
        var finished = finishedRun is null || agent is null ? null
            : published.Finished is { } same && string.Equals(same.View.RunId, finishedRun.RunId, StringComparison.Ordinal) ? same
            : new PublishedRun(finishedRun.ToView(sessionId, agent, finishedRun.Messages), finishedRun.FirstEvent, finishedRun.EventCount);
        if (session.Active is null && session.Queue.Count == 0)
        {
            // The common idle case shares one empty map.
            return new Published(agent, messages, session.RunsFinished, Published.NoRuns, session.CurrentAgent, finished, session.UserId, session.Owner);
        }

        var active = new Dictionary<string, PublishedRun>(StringComparer.Ordinal);
        if (agent is not null)
        {
            if (session.Active is { } run)
            {
                active[run.RunId] = new PublishedRun(run.ToView(sessionId, agent, messages), run.FirstEvent, run.EventCount);
            }

            foreach (var queued in session.Queue)
            {
                active[queued.RunId] = new PublishedRun(queued.ToView(sessionId, agent, messages), 0, 0);
            }
        }

        return new Published(agent, messages, session.RunsFinished, active, session.CurrentAgent, finished, session.UserId, session.Owner);
    }

    /// <summary>What readers see: only what has committed.</summary>
    private sealed record Published(string? Agent, long History, long RunsFinished, IReadOnlyDictionary<string, PublishedRun> Runs, string? CurrentAgent = null, PublishedRun? Finished = null, string? UserId = null, string? Owner = null)
    {
        public static IReadOnlyDictionary<string, PublishedRun> NoRuns { get; } = new Dictionary<string, PublishedRun>();

        public static Published Empty { get; } = new(null, 0, 0, NoRuns);
    }

    private sealed record PublishedRun(RunView View, long FirstEvent, long EventCount);

    /// <summary>A read of the journal; a database that cannot be read for the moment is the transient <see cref="SessionUnavailableException"/> (503: the caller reads again), not an unexpected error.</summary>
    private async Task<T> ReadAsync<T>(Task<T> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (Storage.StorageException ex) when (ex.IsTransient)
        {
            throw new SessionUnavailableException($"Session '{sessionId}' could not read its journal: {ex.Message}; read again.");
        }
    }
}
