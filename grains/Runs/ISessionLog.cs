using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Grains.Runs;

/// <summary>A session's append-only streams as the run engine sees them: the conversation, the runs' journal and the finished runs.</summary>
/// <remarks>
/// Appends are staged into the turn in progress and commit with the session's state, or not at
/// all. Counts include what the turn has staged; reads return only what has committed.
/// </remarks>
public interface ISessionLog
{
    /// <summary>Messages in the conversation.</summary>
    long HistoryCount { get; }

    /// <summary>Events in the runs' journal (over every run of the session).</summary>
    long EventCount { get; }

    /// <summary>Appends a message to the conversation.</summary>
    void AppendHistory(HistoryEntry entry);

    /// <summary>Appends an event to the runs' journal.</summary>
    void AppendEvent(RunEvent entry);

    /// <summary>Appends a finished run (at position <see cref="RunState.Number"/> − 1: runs end in number order).</summary>
    void AppendRun(RunState run);

    /// <summary>Reads committed messages of the conversation from position <paramref name="from"/>.</summary>
    Task<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long from, int count, CancellationToken cancellationToken);

    /// <summary>Reads committed events of the runs' journal from position <paramref name="from"/>.</summary>
    Task<IReadOnlyList<RunEvent>> ReadEventsAsync(long from, int count, CancellationToken cancellationToken);

    /// <summary>Reads committed finished runs from position <paramref name="from"/>.</summary>
    Task<IReadOnlyList<RunState>> ReadRunsAsync(long from, int count, CancellationToken cancellationToken);
}
