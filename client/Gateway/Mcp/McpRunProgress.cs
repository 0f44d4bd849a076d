using AgentGrains.Client.Gateway.Tenants;
using System.Globalization;
using AgentGrains.Client.Gateway.Runs;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Orleans;

namespace AgentGrains.Client.Gateway.Mcp;

/// <summary>Sends a run's events, and its specialists' runs' events, as MCP progress notifications.</summary>
/// <remarks>
/// Every run of the tree is read from its own session with long polls (<see cref="IAgentSessionGrain.GetRunEventsAsync"/>),
/// all at once; a specialist run joins when its manager journals <c>delegation.started</c>. Each event
/// is one notification, its progress the count sent so far, its message a line a person can read
/// (a specialist's prefixed with its agent path). The run's own <c>run.finished</c> stays the last:
/// before it, whatever its specialists committed and was not sent yet is sent. Polls that fail
/// because a silo died are retried.
/// </remarks>
internal sealed class McpRunProgress(McpServer server, ProgressToken token, TenantGrains grains, TimeSpan pollWait, TimeProvider timeProvider, ILogger logger)
{
    private const int MaxText = 160;

    // Bounds the reads of the specialists' last events once the run has ended.
    private const int MaxDrainRounds = 64;

    private readonly List<Source> sources = [];
    private long sent;

    /// <summary>Follows <paramref name="runId"/> until its last event is sent or <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task FollowAsync(string runId, CancellationToken cancellationToken)
    {
        var root = Add(runId, path: null);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var source in sources.Where(static s => !s.Finished && s.Pending is null))
                {
                    source.Pending = PollAsync(source, pollWait, cancellationToken);
                }

                await Task.WhenAny(sources.Where(static s => s.Pending is not null).Select(static s => s.Pending!)).ConfigureAwait(false);
                foreach (var source in sources.Where(static s => s.Pending is { IsCompleted: true }).ToList())
                {
                    var page = await source.Pending!.ConfigureAwait(false);
                    source.Pending = null;
                    if (source == root && page.Finished && page.Events.Count > 0)
                    {
                        // The run's last page: its events up to the end (which may start specialists, when the
                        // run was quick), then what its specialists committed and was not sent yet, then its end.
                        await SendAsync(source, page with { Events = page.Events.Take(page.Events.Count - 1).ToList() }, cancellationToken, finished: false).ConfigureAwait(false);
                        await DrainSpecialistsAsync(root, cancellationToken).ConfigureAwait(false);
                    }

                    await SendAsync(source, page, cancellationToken).ConfigureAwait(false);
                }

                if (root.Finished)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The call returned or was cancelled: nothing more to send.
        }
    }

    /// <summary>Sends what every specialist run has committed, until each has ended (bounded).</summary>
    private async Task DrainSpecialistsAsync(Source root, CancellationToken cancellationToken)
    {
        for (var round = 0; round < MaxDrainRounds; round++)
        {
            var open = sources.Where(s => s != root && !s.Finished).ToList();
            if (open.Count == 0)
            {
                return;
            }

            foreach (var source in open)
            {
                var page = source.Pending is { } pending ? await pending.ConfigureAwait(false) : await PollAsync(source, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                source.Pending = null;
                await SendAsync(source, page, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends the events of a page not sent yet (once each), and adds the specialist runs they start.</summary>
    private async Task SendAsync(Source source, RunEventPage page, CancellationToken cancellationToken, bool finished = true)
    {
        foreach (var entry in page.Events.Where(e => e.Sequence > source.After))
        {
            source.After = entry.Sequence;
            if (entry.Type == RunEventTypes.DelegationStarted && entry.ChildRunId is { } child && entry.Agent is { } agent)
            {
                Add(child, [.. source.Path ?? [], agent]);
            }

            await NotifyAsync(Describe(source.Path, entry), cancellationToken).ConfigureAwait(false);
        }

        source.Finished |= finished && page.Finished;
    }

    private Source Add(string runId, IReadOnlyList<string>? path)
    {
        if (sources.FirstOrDefault(s => s.RunId == runId) is { } known)
        {
            return known;
        }

        if (!RunIds.TryParse(runId, out var sessionId, out _))
        {
            throw new ArgumentException($"'{runId}' is not a run id.", nameof(runId));
        }

        var source = new Source(runId, grains.Session(sessionId), path);
        sources.Add(source);
        return source;
    }

    private async Task<RunEventPage> PollAsync(Source source, TimeSpan wait, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await source.Session.GetRunEventsAsync(source.RunId, source.After, wait)
                    .WaitAsync(wait + SessionCalls.CallMargin, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (RunNotFoundException) when (source.Path is not null)
            {
                // A specialist run that was never started: nothing to follow.
                return new RunEventPage([], Finished: true);
            }
            catch (Exception ex) when (SessionCalls.IsTransient(ex))
            {
                RunEventStream.LogRetry(logger, source.RunId, ex.Message);
                await Task.Delay(backoff, timeProvider, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    private Task NotifyAsync(string message, CancellationToken cancellationToken) =>
        server.NotifyProgressAsync(token, new ProgressNotificationValue { Progress = ++sent, Message = message }, cancellationToken: cancellationToken);

    /// <summary>One event as a line a person reads.</summary>
    internal static string Describe(IReadOnlyList<string>? path, RunEvent entry)
    {
        var step = entry.Step is { } n ? string.Create(CultureInfo.InvariantCulture, $"step {n}: ") : string.Empty;
        var text = entry.Type switch
        {
            RunEventTypes.Started => "run started",
            RunEventTypes.ModelReply when entry.ToolCalls is { Count: > 0 } calls => $"{step}the model calls {string.Join(", ", calls.Select(static c => c.Name))}",
            RunEventTypes.ModelReply => $"{step}the model replied: {Clip(entry.Text)}",
            RunEventTypes.ToolResult => $"{step}{entry.Call?.Name ?? "tool"} {entry.Call?.Status ?? "returned"}: {Clip(entry.Text)}",
            RunEventTypes.ApprovalRequested => $"{step}{entry.Call?.Name ?? "a tool call"} waits for a person's approval",
            RunEventTypes.ApprovalDecided => $"{step}{entry.Call?.Name ?? "the tool call"} {entry.Call?.Status ?? "decided"}",
            RunEventTypes.DelegationStarted => $"{step}calls the specialist {entry.Agent}",
            RunEventTypes.Handoff => $"handed off to {entry.Agent}",
            RunEventTypes.Resumed => "run resumed",
            RunEventTypes.Finished => entry.Reason is null ? $"run {entry.Status}" : $"run {entry.Status}: {Clip(entry.Reason)}",
            _ => entry.Status is null ? entry.Type : $"{entry.Type}: {entry.Status}",
        };
        return path is null ? text : $"[{string.Join(" > ", path)}] {text}";
    }

    private static string Clip(string? text)
    {
        var line = (text ?? string.Empty).ReplaceLineEndings(" ").Trim();
        return line.Length <= MaxText ? line : string.Concat(line.AsSpan(0, MaxText), "…");
    }

    private sealed class Source(string runId, IAgentSessionGrain session, IReadOnlyList<string>? path)
    {
        public string RunId { get; } = runId;

        public IAgentSessionGrain Session { get; } = session;

        public IReadOnlyList<string>? Path { get; } = path;

        public long After { get; set; }

        public bool Finished { get; set; }

        public Task<RunEventPage>? Pending { get; set; }
    }
}
