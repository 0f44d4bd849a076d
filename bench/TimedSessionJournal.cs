using System.Diagnostics;
using AgentGrains.Storage.Journal;

namespace AgentGrains.Bench;

/// <summary>The silo's session journal, with each commit timed into a <see cref="StepTimeline"/>.</summary>
/// <remarks>
/// The journal it wraps opens its database on first use rather than at host start (its start-up
/// check does not see through the wrapper); the bench warms up before it measures.
/// </remarks>
internal sealed class TimedSessionJournal(ISessionJournal inner, StepTimeline timeline) : ISessionJournal, IAsyncDisposable
{
    public Task<JournalHead> LoadAsync(string sessionId, IReadOnlyList<string> streams, CancellationToken cancellationToken) =>
        inner.LoadAsync(sessionId, streams, cancellationToken);

    public Task<IReadOnlyList<string>> ReadAsync(string sessionId, string stream, long from, int maxCount, CancellationToken cancellationToken) =>
        inner.ReadAsync(sessionId, stream, from, maxCount, cancellationToken);

    public Task<MessageRecord?> FindMessageAsync(string sessionId, string key, CancellationToken cancellationToken) =>
        inner.FindMessageAsync(sessionId, key, cancellationToken);

    public Task<JournalSessionPage> ListAsync(JournalListQuery query, CancellationToken cancellationToken) =>
        inner.ListAsync(query, cancellationToken);

    /// <summary>The largest step commit seen (a model reply with its rows): what <see cref="JournalFloor"/> replays.</summary>
    public JournalCommit? LargestStep { get; private set; }

    public async Task<long> CommitAsync(JournalCommit commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commit);
        if (commit.ExpectedVersion > 0 && commit.Appends.Count > 0 && commit.Messages.Count == 0 && Size(commit) > (LargestStep is { } largest ? Size(largest) : 0))
        {
            LargestStep = commit;
        }

        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.CommitAsync(commit, cancellationToken);
        }
        finally
        {
            timeline.Record(StepTimeline.Kind.Commit, commit.SessionId, start);
        }
    }

    private static int Size(JournalCommit commit) => commit.State.Length + commit.Appends.Sum(static a => a.Payload.Length);

    public async ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else if (inner is IDisposable plain)
        {
            plain.Dispose();
        }
    }
}
