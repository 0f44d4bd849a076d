using AgentGrains.Client.Gateway.Tenants;
using System.Text;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.GrainInterfaces.Messages;
using Orleans;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Client.Gateway.Runs;

/// <summary>Writes one run's event stream with the events of every specialist run under it, each tagged with its agent path.</summary>
/// <remarks>
/// <para>Every run of the tree is read from its own session with long polls, all at once, and its
/// events are written as they commit; a specialist's events carry <see cref="RunEvent.Path"/> (the
/// agents from the root down to it), the run's own events carry none. A specialist run joins the
/// stream when its manager journals <c>delegation.started</c>, or, on a reconnect, from the run
/// tree. The event id is a <see cref="RunEventCursor"/> over all of them.</para>
/// <para>The run's own <c>run.finished</c> stays the last event: before writing it, whatever its
/// specialists committed and was not sent yet is sent.</para>
/// <para>A poll that fails because a session's silo died is retried with a capped backoff until the
/// session answers from its next owner; nothing committed is skipped.</para>
/// </remarks>
internal sealed partial class RunEventStream
{
    private static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    // Bounds one catch-up: pages read from every run of the tree before the live polls take over.
    private const int MaxCatchUpRounds = 64;

    private readonly List<Source> sources = [];
    private readonly Dictionary<string, Source> byRun = new(StringComparer.Ordinal);
    private readonly HttpResponse response;
    private readonly TenantGrains grains;
    private readonly TimeSpan pollWait;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly RunEventCursor cursor;
    private bool discovered;

    public RunEventStream(HttpResponse response, TenantGrains grains, TimeSpan pollWait, TimeProvider timeProvider, ILogger logger, RunEventCursor cursor)
    {
        this.response = response;
        this.grains = grains;
        this.pollWait = pollWait;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.cursor = cursor;
    }

    /// <summary>Streams <paramref name="runId"/> and its specialists until the run's last event is written or the client leaves.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="first">The run's first page, read before the response started (null if its session was unavailable).</param>
    /// <param name="cancellationToken">The request's token.</param>
    public async Task WriteAsync(string runId, RunEventPage? first, CancellationToken cancellationToken)
    {
        var root = Add(runId, path: null, cursor.Root);
        await DiscoverAsync(root).ConfigureAwait(false);
        if (await CatchUpAsync(root, first, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            if (!discovered)
            {
                await DiscoverAsync(root).ConfigureAwait(false);
            }

            foreach (var source in sources.Where(static s => !s.Finished && s.Pending is null))
            {
                source.Pending = PollAsync(source, pollWait, cancellationToken);
            }

            var pending = sources.Where(static s => s.Pending is not null).Select(static s => s.Pending!).ToList();
            var idle = Task.Delay(pollWait + TimeSpan.FromSeconds(1), timeProvider, cancellationToken);
            var done = await Task.WhenAny(pending.Append(idle)).ConfigureAwait(false);
            if (done == idle)
            {
                // A comment keeps proxies from closing an idle stream.
                await WriteTextAsync(": waiting\n\n", cancellationToken).ConfigureAwait(false);
                continue;
            }

            foreach (var source in sources.Where(static s => s.Pending is { IsCompleted: true }).ToList())
            {
                var page = await source.Pending!.ConfigureAwait(false);
                source.Pending = null;
                if (await WritePageAsync(source, page, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Sends what every run of the tree has committed so far, merged in the order it was journaled
    /// (a client that connects late, or to a finished run, reads the tree's story in time order);
    /// true when that included the root's last event.
    /// </summary>
    private async Task<bool> CatchUpAsync(Source root, RunEventPage? first, CancellationToken cancellationToken)
    {
        RunEvent? finished = null;
        for (var round = 0; round < MaxCatchUpRounds; round++)
        {
            var batch = new List<(Source Source, RunEvent Event)>();
            foreach (var source in sources.Where(static s => !s.Finished).ToList())
            {
                var page = source == root && first is not null ? first : await PollAsync(source, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                if (source == root)
                {
                    first = null;
                }

                batch.AddRange(page.Events.Where(e => e.Sequence > source.After).Select(e => (source, e)));
                source.Finished = page.Finished;
            }

            if (batch.Count == 0)
            {
                break;
            }

            var text = new StringBuilder();
            // OrderBy is stable: events of one run keep their journal order when their times tie.
            foreach (var (source, entry) in batch.OrderBy(static b => b.Event.At))
            {
                if (source == root && entry.Type == RunEventTypes.Finished)
                {
                    finished = entry;
                    continue;
                }

                await AppendAsync(text, source, entry).ConfigureAwait(false);
            }

            await WriteTextAsync(text.ToString(), cancellationToken).ConfigureAwait(false);
        }

        if (finished is null)
        {
            // Finished with nothing new: its last event was sent before this connection (a reconnect after it).
            return root.Finished;
        }

        var last = new StringBuilder();
        await AppendAsync(last, root, finished).ConfigureAwait(false);
        await WriteTextAsync(last.ToString(), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Appends one event of a source (once), and adds the specialist run it starts.</summary>
    private async Task AppendAsync(StringBuilder text, Source source, RunEvent entry)
    {
        if (entry.Sequence <= source.After)
        {
            // Read twice (a catch-up and a long poll crossed): sent already.
            return;
        }

        source.After = entry.Sequence;
        var sent = source.Path is null ? entry : entry with { Path = source.Path };
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"id: {Cursor()}\nevent: {entry.Type}\ndata: {JsonSerializer.Serialize(sent, EventJson)}\n\n");
        if (entry.Type == RunEventTypes.DelegationStarted && entry.ChildRunId is { } child && entry.Agent is { } agent)
        {
            Add(child, [.. source.Path ?? await RootPathAsync(source).ConfigureAwait(false), agent], 0);
        }
    }

    /// <summary>Writes a page of one source; true when it was the root's last.</summary>
    private async Task<bool> WritePageAsync(Source source, RunEventPage page, CancellationToken cancellationToken)
    {
        if (source.Path is null && page.Finished)
        {
            // The run's last page: what its specialists committed and was not sent yet goes first.
            return await CatchUpAsync(source, page, cancellationToken).ConfigureAwait(false);
        }

        var text = new StringBuilder();
        foreach (var entry in page.Events)
        {
            await AppendAsync(text, source, entry).ConfigureAwait(false);
        }

        source.Finished |= page.Finished;
        await WriteTextAsync(text.ToString(), cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>Adds the specialist runs already in the run tree (a reconnect), at the positions the cursor names.</summary>
    private async Task DiscoverAsync(Source root)
    {
        try
        {
            var view = await root.Session.GetRunAsync(root.RunId).ConfigureAwait(false);
            if (view is null)
            {
                return;
            }

            root.RootPath = view.Path ?? [view.Agent];
            AddTree(await RunTree.ChildrenAsync(view.Children, grains).ConfigureAwait(false), root.RootPath);
            discovered = true;
        }
        catch (Exception ex) when (SessionCalls.IsTransient(ex))
        {
            LogRetry(logger, root.RunId, ex.Message);
        }
    }

    private void AddTree(IReadOnlyList<RunChildView>? children, IReadOnlyList<string> parentPath)
    {
        foreach (var child in children ?? [])
        {
            IReadOnlyList<string> path = [.. parentPath, child.Agent];
            Add(child.RunId, path, cursor.Children.GetValueOrDefault(child.RunId));
            AddTree(child.Children, path);
        }
    }

    private async Task<IReadOnlyList<string>> RootPathAsync(Source root)
    {
        if (root.RootPath is null)
        {
            await DiscoverAsync(root).ConfigureAwait(false);
        }

        return root.RootPath ?? [];
    }

    private Source Add(string runId, IReadOnlyList<string>? path, long after)
    {
        if (byRun.TryGetValue(runId, out var known))
        {
            return known;
        }

        var session = RunIds.TryParse(runId, out var sessionId, out _) ? grains.Session(sessionId) : throw new ArgumentException($"'{runId}' is not a run id.", nameof(runId));
        var source = new Source(runId, session, path) { After = after };
        sources.Add(source);
        byRun.Add(runId, source);
        return source;
    }

    private string Cursor() =>
        RunEventCursor.Format(sources[0].After, sources.Skip(1).Select(static s => (s.RunId, s.After)));

    /// <summary>One long poll of a source, retried through its silo's death until it answers.</summary>
    private async Task<RunEventPage> PollAsync(Source source, TimeSpan wait, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.Zero;
        while (true)
        {
            try
            {
                // Bounded beyond the poll's own wait: a call in flight to a silo that dies is never
                // answered (Orleans would wait out its response timeout), so it is abandoned and sent again.
                return await source.Session.GetRunEventsAsync(source.RunId, source.After, wait)
                    .WaitAsync(wait + SessionCalls.CallMargin, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (RunNotFoundException) when (source.Path is not null)
            {
                // A specialist run that was never started (its call was refused): nothing to stream.
                return new RunEventPage([], Finished: true);
            }
            catch (Exception ex) when (SessionCalls.IsTransient(ex))
            {
                // The silo that owned the session died or is draining: the grain comes back elsewhere,
                // with everything committed; poll again from the last event sent.
                LogRetry(logger, source.RunId, ex.Message);
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                await Task.Delay(backoff, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteTextAsync(string text, CancellationToken cancellationToken)
    {
        if (text.Length == 0)
        {
            return;
        }

        await response.WriteAsync(text, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event stream of run {RunId}: the session is unavailable ({Reason}); polling again")]
    internal static partial void LogRetry(ILogger logger, string runId, string reason);

    /// <summary>One run of the tree being streamed.</summary>
    private sealed class Source(string runId, IAgentSessionGrain session, IReadOnlyList<string>? path)
    {
        public string RunId { get; } = runId;

        public IAgentSessionGrain Session { get; } = session;

        /// <summary>The agents from the root down to this run; null for the root, whose events are its own.</summary>
        public IReadOnlyList<string>? Path { get; } = path;

        /// <summary>For the root: its own agent path, once read.</summary>
        public IReadOnlyList<string>? RootPath { get; set; }

        public long After { get; set; }

        public bool Finished { get; set; }

        public Task<RunEventPage>? Pending { get; set; }
    }
}
