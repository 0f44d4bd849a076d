using System.Text.Json;
using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Storage.Journal;

namespace AgentGrains.Grains.Sessions;

/// <summary>A session's journal as its activation holds it: the state, the streams' lengths, and what the current change has staged.</summary>
/// <remarks>
/// <para>A change stages its appends and message records here and <see cref="CommitAsync"/> writes them
/// with the new state as one <see cref="JournalCommit"/>, conditioned on the version this activation
/// read. A refused commit (<see cref="JournalConflictException"/>: another activation wrote first)
/// leaves this object stale for good: the activation must stop using it and deactivate.</para>
/// <para>Rows are JSON with web defaults (camelCase, unknown members ignored), the format the
/// project has always stored, so a newer version of a type reads older rows and the other way round.</para>
/// </remarks>
internal sealed class SessionJournalLog : ISessionLog
{
    /// <summary>The conversation stream.</summary>
    public const string HistoryStream = "history";

    /// <summary>The runs' journal stream.</summary>
    public const string EventsStream = "events";

    /// <summary>The finished runs stream.</summary>
    public const string RunsStream = "runs";

    private static readonly string[] Streams = [HistoryStream, EventsStream, RunsStream];

    private static readonly JsonSerializerOptions Json = CreateJson();

    private readonly ISessionJournal journal;
    private readonly string sessionId;
    // What the current change has staged: reused from one commit to the next while a run goes on,
    // let go once the session is at rest (an idle activation holds no buffers).
    private Staged? staged;
    private long version;
    private long history;
    private long events;
    private long runs;

    private SessionJournalLog(ISessionJournal journal, string sessionId, JournalHead head, AgentSessionState state)
    {
        this.journal = journal;
        this.sessionId = sessionId;
        version = head.Version;
        history = head.StreamLengths.GetValueOrDefault(HistoryStream);
        events = head.StreamLengths.GetValueOrDefault(EventsStream);
        runs = head.StreamLengths.GetValueOrDefault(RunsStream);
        State = state;
    }

    /// <summary>The session's state: as committed, plus the current change's edits.</summary>
    public AgentSessionState State { get; }

    /// <summary>The run that ended last, as committed; kept for readers until <see cref="ForgetFinished"/>.</summary>
    public RunState? Finished { get; private set; }

    /// <summary>Whether the current change has staged anything.</summary>
    public bool HasStaged => staged is { Appends.Count: > 0 } or { Messages.Count: > 0 };

    /// <inheritdoc />
    public long HistoryCount => history + (staged?.History.Count ?? 0);

    /// <inheritdoc />
    public long EventCount => events + (staged?.Events.Count ?? 0);

    /// <summary>Reads the session's head; a session that never committed starts empty.</summary>
    /// <exception cref="Storage.StorageException">The database failed, or the stored state cannot be read.</exception>
    public static async Task<SessionJournalLog> LoadAsync(ISessionJournal journal, string sessionId, CancellationToken cancellationToken)
    {
        var head = await journal.LoadAsync(sessionId, Streams, cancellationToken);
        var state = head.State is null ? new AgentSessionState() : Read<AgentSessionState>(head.State, sessionId, "state");
        return new SessionJournalLog(journal, sessionId, head, state);
    }

    /// <inheritdoc />
    public void AppendHistory(HistoryEntry entry)
    {
        var buffers = staged ??= new Staged();
        buffers.Appends.Add(new JournalAppend(HistoryStream, HistoryCount, Write(entry)));
        buffers.History.Add(entry);
    }

    /// <inheritdoc />
    public void AppendEvent(RunEvent entry)
    {
        var buffers = staged ??= new Staged();
        buffers.Appends.Add(new JournalAppend(EventsStream, EventCount, Write(entry)));
        buffers.Events.Add(entry);
    }

    /// <inheritdoc />
    public void AppendRun(RunState run)
    {
        ArgumentNullException.ThrowIfNull(run);
        // Runs end in number order, so a run's row is at its number − 1.
        var buffers = staged ??= new Staged();
        buffers.Appends.Add(new JournalAppend(RunsStream, run.Number - 1, Write(run)));
        buffers.Finished = run;
    }

    /// <summary>Stages the idempotency record of the message the current change accepts.</summary>
    public void Record(MessageRecord message) => (staged ??= new Staged()).Messages.Add(message);

    /// <summary>The record of a message accepted with <paramref name="key"/>: staged by the current change, or committed.</summary>
    public async Task<MessageRecord?> FindMessageAsync(string key, CancellationToken cancellationToken) =>
        staged?.Messages.Find(m => string.Equals(m.Key, key, StringComparison.Ordinal))
        ?? await journal.FindMessageAsync(sessionId, key, cancellationToken);

    /// <summary>Commits the state with everything staged, conditioned on the version this activation last read or wrote.</summary>
    /// <exception cref="JournalConflictException">Another activation committed first; this one is stale.</exception>
    /// <exception cref="Storage.StorageException">The database failed.</exception>
    public async Task CommitAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        // Sessions are listed by the agent they were created with: the journal keeps the first commit's label.
        var commit = staged is { } buffers
            ? new JournalCommit(sessionId, version, Write(State), [.. buffers.Appends], [.. buffers.Messages], at) { Label = State.Agent }
            : new JournalCommit(sessionId, version, Write(State), [], [], at) { Label = State.Agent };
        version = await journal.CommitAsync(commit, cancellationToken);
        if (staged is { } committed)
        {
            history += committed.History.Count;
            events += committed.Events.Count;
            runs += committed.Appends.Count(static a => a.Stream == RunsStream);
            Finished = committed.Finished ?? Finished;
            if (State.Active is null && State.Queue.Count == 0)
            {
                staged = null;
            }
            else
            {
                committed.Clear();
            }
        }
    }

    /// <summary>Lets go of <see cref="Finished"/> (readers find the run in the journal from then on).</summary>
    public void ForgetFinished() => Finished = null;

    /// <inheritdoc />
    public Task<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long from, int count, CancellationToken cancellationToken) =>
        ReadAsync(HistoryStream, history, staged?.History, from, count, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunEvent>> ReadEventsAsync(long from, int count, CancellationToken cancellationToken) =>
        ReadAsync(EventsStream, events, staged?.Events, from, count, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunState>> ReadRunsAsync(long from, int count, CancellationToken cancellationToken) =>
        ReadAsync<RunState>(RunsStream, runs, null, from, count, cancellationToken);

    /// <summary>Committed rows from <paramref name="from"/>, then the staged ones after them.</summary>
    private async Task<IReadOnlyList<T>> ReadAsync<T>(string stream, long committed, List<T>? pending, long from, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new List<T>(Math.Min(count, 256));
        if (from < committed && count > 0)
        {
            foreach (var payload in await journal.ReadAsync(sessionId, stream, from, (int)Math.Min(count, committed - from), cancellationToken))
            {
                result.Add(Read<T>(payload, sessionId, stream));
            }
        }

        for (var i = (int)Math.Max(0, from - committed); pending is not null && i < pending.Count && result.Count < count; i++)
        {
            result.Add(pending[i]);
        }

        return result;
    }

    /// <summary>Reads a committed state payload (a session head as a listing returns it).</summary>
    /// <exception cref="Storage.StorageException">The payload cannot be read as a state.</exception>
    public static AgentSessionState ReadState(string payload, string sessionId) => Read<AgentSessionState>(payload, sessionId, "state");

    private static string Write<T>(T value) => JsonSerializer.Serialize(value, Json);

    private static T Read<T>(string payload, string sessionId, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload, Json)
                ?? throw new Storage.StorageException($"The {what} of session {sessionId} is stored as null.", isTransient: false);
        }
        catch (JsonException ex)
        {
            // A row that cannot be read is a loud error: the session never starts from a default that would overwrite it.
            throw new Storage.StorageException($"The {what} of session {sessionId} cannot be read as {typeof(T).Name}: {ex.Message}", isTransient: false, ex);
        }
    }

    /// <summary>The current change's appends and message records, with the staged rows readers of the counts need.</summary>
    private sealed class Staged
    {
        public List<JournalAppend> Appends { get; } = [];

        public List<MessageRecord> Messages { get; } = [];

        public List<HistoryEntry> History { get; } = [];

        public List<RunEvent> Events { get; } = [];

        public RunState? Finished { get; set; }

        public void Clear()
        {
            Finished = null;
            Appends.Clear();
            Messages.Clear();
            History.Clear();
            Events.Clear();
        }
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
