using System.Collections.Concurrent;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Bench;

/// <summary>The runs a measurement made, read back from their journals after it ends.</summary>
internal sealed class MeasuredRuns
{
    private readonly ConcurrentBag<(IAgentSessionGrain Session, string RunId)> runs = [];

    /// <summary>The runs recorded, in no order.</summary>
    public IReadOnlyCollection<(IAgentSessionGrain Session, string RunId)> All => runs;

    /// <summary>Sends one message and waits for its run; a run that does not complete fails the measurement. Warm-up runs (<paramref name="iteration"/> &lt; 0) are not recorded.</summary>
    public async Task SendAsync(IAgentSessionGrain session, string text, long iteration)
    {
        var sent = await session.SendAsync(text, TimeSpan.FromMinutes(1));
        if (sent.Status != RunStatus.Completed)
        {
            throw new InvalidOperationException($"Run {sent.RunId} ended {sent.Status}: {sent.Reason}");
        }

        if (iteration >= 0)
        {
            runs.Add((session, sent.RunId));
        }
    }
}
