using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime.Persistence;

namespace AgentGrains.Grains.Sessions;

/// <summary>A session's streams as three persistent logs of its grain (appends stage into the grain's turn).</summary>
internal sealed class PersistentSessionLog(
    IPersistentLog<HistoryEntry> history,
    IPersistentLog<RunEvent> events,
    IPersistentLog<RunState> runs) : ISessionLog
{
    public long HistoryCount => history.Count;

    public long EventCount => events.Count;

    public void AppendHistory(HistoryEntry entry) => history.Append(entry);

    public void AppendEvent(RunEvent entry) => events.Append(entry);

    public void AppendRun(RunState run) => runs.Append(run);

    public Task<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long from, int count, CancellationToken cancellationToken) =>
        history.ReadAsync(from, count, cancellationToken);

    public Task<IReadOnlyList<RunEvent>> ReadEventsAsync(long from, int count, CancellationToken cancellationToken) =>
        events.ReadAsync(from, count, cancellationToken);

    public Task<IReadOnlyList<RunState>> ReadRunsAsync(long from, int count, CancellationToken cancellationToken) =>
        runs.ReadAsync(from, count, cancellationToken);
}
