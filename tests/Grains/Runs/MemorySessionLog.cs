using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>A session's streams in memory, for run engine tests: appends land at once (there is no commit to wait for).</summary>
internal sealed class MemorySessionLog : ISessionLog
{
    public List<HistoryEntry> History { get; } = [];

    public List<RunEvent> Events { get; } = [];

    public List<RunState> Runs { get; } = [];

    public long HistoryCount => History.Count;

    public long EventCount => Events.Count;

    public void AppendHistory(HistoryEntry entry) => History.Add(entry);

    public void AppendEvent(RunEvent entry) => Events.Add(entry);

    public void AppendRun(RunState run) => Runs.Add(run);

    public Task<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long from, int count, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<HistoryEntry>>(History.Skip((int)from).Take(count).ToList());

    public Task<IReadOnlyList<RunEvent>> ReadEventsAsync(long from, int count, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RunEvent>>(Events.Skip((int)from).Take(count).ToList());

    public Task<IReadOnlyList<RunState>> ReadRunsAsync(long from, int count, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RunState>>(Runs.Skip((int)from).Take(count).ToList());
}
