using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>Reads runs through a silo of a cluster whose silos die: every read rides out a takeover.</summary>
public static class ClusterRuns
{
    /// <summary>How long a read waits for a takeover: the death timeout plus a few polls, generous for loaded CI machines.</summary>
    public static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

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

    /// <summary>Waits for the run to end, riding out its owner's takeover.</summary>
    public static async Task<RunView> WaitForEndAsync(IGrainFactory grains, string runId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var session = grains.GetGrain<IAgentSessionGrain>(SessionOf(runId));
        var deadline = DateTime.UtcNow + Recovery;
        RunView? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await RetryTransientAsync(() => session.WaitForRunAsync(runId, TimeSpan.FromSeconds(2)), $"run {runId}") ?? last;
            if (last is { IsTerminal: true })
            {
                return last;
            }
        }

        throw new TimeoutException($"Run {runId} did not end within {Recovery.TotalSeconds} s; last seen {last?.Status ?? "nothing"} ({last?.Reason}).");
    }

    /// <summary>Retries <paramref name="call"/> while it fails transiently (the owner died and its grains are not taken over yet).</summary>
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
            catch (AgentGrainsException ex) when (ex.IsTransient && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            catch (AgentGrainsException ex) when (ex.IsTransient)
            {
                throw new TimeoutException($"Timed out after {Recovery.TotalSeconds} s waiting for {what}: {ex.Message}", ex);
            }
        }
    }

    private static string SessionOf(string runId) =>
        RunIds.TryParse(runId, out var sessionId, out _) ? sessionId : throw new ArgumentException($"'{runId}' is not a run id.", nameof(runId));
}
