using System.Collections.Concurrent;
using AgentGrains.Storage.Journal;

namespace AgentGrains.Bench;

/// <summary>The session journal alone: commits of the same rows a step commits, with no grain, driver or model around them.</summary>
/// <remarks>
/// Each caller has a session of its own and commits, again and again, a copy of a real step's commit
/// (its state and appended rows, at the next positions), through the silo's own journal and its
/// group-committing writer. Between the bare one-row commit and a whole step, it says how much of a
/// step is the journal's commit and how much the runtime around it.
/// </remarks>
internal static class JournalFloor
{
    public static Task<Measurement.Result> MeasureAsync(ISessionJournal journal, JournalCommit step, string name, int callers, TimeSpan duration)
    {
        var versions = new long[callers];
        var positions = Enumerable.Range(0, callers).Select(static _ => new ConcurrentDictionary<string, long>(StringComparer.Ordinal)).ToArray();
        var run = Guid.NewGuid().ToString("N")[..8];
        return Measurement.RunAsync(name, callers, duration, async (c, _) =>
        {
            var appends = step.Appends.Select(a => a with { Sequence = positions[c].AddOrUpdate(a.Stream, 0, static (_, p) => p + 1) }).ToList();
            var commit = new JournalCommit($"agent-session/floor-{run}-{callers}-{c}", versions[c], step.State, appends, [], DateTimeOffset.UtcNow);
            versions[c] = await journal.CommitAsync(commit, CancellationToken.None);
        });
    }
}
