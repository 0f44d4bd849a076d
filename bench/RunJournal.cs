using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Bench;

/// <summary>A finished run as its session journaled it: the time each step took, by the grain's own event stamps.</summary>
/// <remarks>
/// A step ends when its model reply is journaled (with the results of tools that ran before it);
/// it starts when the previous step's reply was (the first step: when the run started). The stamps
/// are taken by the engine while it stages each event, just before the commit, so one interval is
/// one whole cycle: the previous commit, the planning turn, the model and tool calls, the journaling
/// turn. Read after the measurement, so the reads do not load it.
/// </remarks>
internal sealed record RunJournal(IReadOnlyList<double> StepMs, RunView View)
{
    public static async Task<RunJournal> ReadAsync(IAgentSessionGrain session, string runId)
    {
        var marks = new List<DateTimeOffset>();
        long after = 0;
        while (true)
        {
            var page = await session.GetRunEventsAsync(runId, after, TimeSpan.Zero);
            marks.AddRange(page.Events.Where(static e => e.Type is RunEventTypes.Started or RunEventTypes.ModelReply).Select(static e => e.At));
            after += page.Events.Count;
            if (page.Finished || page.Events.Count == 0)
            {
                break;
            }
        }

        var steps = new double[Math.Max(0, marks.Count - 1)];
        for (var s = 0; s < steps.Length; s++)
        {
            steps[s] = (marks[s + 1] - marks[s]).TotalMilliseconds;
        }

        var view = await session.GetRunAsync(runId) ?? throw new InvalidOperationException($"Run {runId} cannot be read back.");
        return new RunJournal(steps, view);
    }

    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
