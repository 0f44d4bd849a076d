using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Orleans;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>Reads runs through a cluster whose silos die or drain: every read rides out a takeover, retrying a transient failure as the gateway does.</summary>
/// <remarks>
/// A call in flight while its session's silo dies or stops fails transiently (<see cref="SessionCalls.IsTransient"/>):
/// the silo is unavailable, or Orleans lost the request in the silo's last moments and the call timed
/// out (dotnet/orleans#2287). The gateway sends such a call again; so do these reads. Anything else
/// fails the test.
/// </remarks>
public static class ClusterRuns
{
    /// <summary>How long a read waits for a takeover: a lost request's response timeout (30 s) and the run's own steps, generous for loaded CI machines.</summary>
    public static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(2);

    /// <summary>The committed journal of <paramref name="runId"/> so far.</summary>
    public static async Task<List<RunEvent>> EventsAsync(IGrainFactory grains, string runId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var session = grains.GetGrain<IAgentSessionGrain>(SessionOf(runId));
        var events = new List<RunEvent>();
        while (true)
        {
            var page = await RetryTransientAsync(() => session.GetRunEventsAsync(runId, events.Count, TimeSpan.Zero), $"the events of {runId}");
            events.AddRange(page.Events);
            if (page.Events.Count == 0)
            {
                return events;
            }
        }
    }

    /// <summary>Waits for the run to end with long polls (of <paramref name="pollWait"/>, 2 s by default), riding out its session's takeover.</summary>
    public static async Task<RunView> WaitForEndAsync(IGrainFactory grains, string runId, TimeSpan? pollWait = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var wait = pollWait ?? PollWait;
        var session = grains.GetGrain<IAgentSessionGrain>(SessionOf(runId));
        var deadline = DateTime.UtcNow + Recovery;
        RunView? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await RetryTransientAsync(() => session.WaitForRunAsync(runId, wait), $"run {runId}") ?? last;
            if (last is { IsTerminal: true })
            {
                return last;
            }
        }

        throw new TimeoutException($"Run {runId} did not end within {Recovery.TotalSeconds} s; last seen {last?.Status ?? "nothing"} ({last?.Reason}).");
    }

    /// <summary>Retries <paramref name="call"/> while it fails transiently (its session's silo died or stopped, and it is not taken over yet).</summary>
    public static async Task<T> RetryTransientAsync<T>(Func<Task<T>> call, string what)
    {
        ArgumentNullException.ThrowIfNull(call);
        var deadline = DateTime.UtcNow + Recovery;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (SessionCalls.IsTransient(ex) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            catch (Exception ex) when (SessionCalls.IsTransient(ex))
            {
                throw new TimeoutException($"Timed out after {Recovery.TotalSeconds} s waiting for {what}: {ex.Message}", ex);
            }
        }
    }

    private static string SessionOf(string runId) =>
        RunIds.TryParse(runId, out var sessionId, out _) ? sessionId : throw new ArgumentException($"'{runId}' is not a run id.", nameof(runId));
}
