using AgentGrains.Storage;
using AgentGrains.Storage.Journal;

namespace AgentGrains.Tests.Storage.Journal;

/// <summary>What every session journal must do; one subclass per provider.</summary>
/// <remarks>
/// A test class shares one database (a SQLite file, a PostgreSQL schema); every test uses sessions
/// of its own (<see cref="NewSession"/>), so tests never see each other's rows.
/// </remarks>
public abstract partial class SessionJournalContractTests : IAsyncLifetime
{
    private protected static readonly DateTimeOffset At = new(2026, 12, 6, 10, 15, 30, 123, TimeSpan.Zero);

    private readonly List<ISessionJournal> opened = [];
    private ISessionJournal? journal;

    /// <summary>The journal a test works with (more can be opened on the same database with <see cref="Open"/>).</summary>
    private protected ISessionJournal Journal => journal ?? throw new InvalidOperationException("InitializeAsync has not run.");

    /// <summary>A new journal on this class's database, not yet initialised.</summary>
    private protected abstract ISessionJournal CreateJournal();

    /// <summary>Runs a query on this class's database (tables unqualified) and returns the first column of the first row.</summary>
    private protected abstract Task<object?> ScalarAsync(string sql);

    /// <summary>Runs a statement on this class's database (tables unqualified).</summary>
    private protected abstract Task ExecuteAsync(string sql);

    /// <summary>A time as an SQL literal of the provider's time columns.</summary>
    private protected abstract string SqlTime(DateTimeOffset time);

    /// <summary>A value read from one of the provider's time columns, as a time.</summary>
    private protected abstract DateTimeOffset ReadTime(object? value);

    public virtual ValueTask InitializeAsync()
    {
        journal = Open();
        return ValueTask.CompletedTask;
    }

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var each in opened)
        {
            await ((IAsyncDisposable)each).DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Opens another journal on the same database, disposed with the test.</summary>
    private protected ISessionJournal Open()
    {
        var created = CreateJournal();
        opened.Add(created);
        return created;
    }

    private protected static string NewSession() => $"session-{Guid.NewGuid():N}";

    private protected static JournalCommit Commit(
        string session, long expected, string state, JournalAppend[]? appends = null, MessageRecord[]? messages = null) =>
        new(session, expected, state, appends ?? [], messages ?? [], At);

    /// <summary>Commits <paramref name="count"/> steps, each appending one history row and setting the state to its new version.</summary>
    private protected static async Task CommitStepsAsync(ISessionJournal target, string session, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await target.CommitAsync(Commit(session, i, $"{{\"v\":{i + 1}}}", [new("history", i, $"\"h{i}\"")]), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Load_SessionNeverCommitted_ReturnsVersionZeroNoStateAndEmptyStreams()
    {
        var head = await Journal.LoadAsync(NewSession(), ["history", "events"], CancellationToken.None);

        Assert.Equal(0, head.Version);
        Assert.Null(head.State);
        Assert.Equal(new Dictionary<string, long> { ["history"] = 0, ["events"] = 0 }, head.StreamLengths);
    }

    [Fact]
    public async Task Commit_FirstCommit_LoadReturnsStateLengthsAndRowsVerbatim()
    {
        var session = NewSession();
        // Spacing, key order and escapes must survive: callers compare stored JSON byte for byte.
        const string state = "{\"b\": 1,   \"a\":[ 2 ], \"s\":\"\\u00e9\\n\"}";
        const string nonAscii = "\"héllo wörld — 日本語 — 🧠🚀 — e\u0301 — עברית\ttab\nnewline\"";
        var large = "\"" + string.Concat(Enumerable.Repeat("0123456789abcdef", 1024 * 1024 / 16)) + "end — ü\"";
        var session2 = NewSession();

        var version = await Journal.CommitAsync(
            Commit(session, 0, state, [new("history", 0, nonAscii), new("history", 1, large), new("events", 0, "{}")]),
            CancellationToken.None);
        await Journal.CommitAsync(Commit(session2, 0, "{}", [new("history", 0, "\"other session\"")]), CancellationToken.None);

        Assert.Equal(1, version);
        var head = await Journal.LoadAsync(session, ["history", "events", "unused"], CancellationToken.None);
        Assert.Equal(1, head.Version);
        Assert.Equal(state, head.State);
        Assert.Equal(new Dictionary<string, long> { ["history"] = 2, ["events"] = 1, ["unused"] = 0 }, head.StreamLengths);
        var rows = await Journal.ReadAsync(session, "history", 0, 10, CancellationToken.None);
        Assert.Equal(2, rows.Count);
        Assert.Equal(nonAscii, rows[0]);
        Assert.True(large.Length >= 1024 * 1024, "the large payload is at least 1 MiB");
        Assert.Equal(large, rows[1]);
        Assert.Equal(["{}"], await Journal.ReadAsync(session, "events", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Commit_SuccessiveCommits_VersionGoesUpByOneEach()
    {
        var session = NewSession();
        var versions = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            versions.Add(await Journal.CommitAsync(Commit(session, i, $"{{\"v\":{i + 1}}}", [new("history", i, $"{i}")]), CancellationToken.None));
        }

        Assert.Equal([1L, 2L, 3L, 4L, 5L], versions);
        var head = await Journal.LoadAsync(session, ["history"], CancellationToken.None);
        Assert.Equal(5, head.Version);
        Assert.Equal("{\"v\":5}", head.State);
        Assert.Equal(5, head.StreamLengths["history"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Commit_TwoWritersReadTheSameVersion_ExactlyOneLandsAndNothingOfTheLoserIsStored(long readVersion)
    {
        // Two journals on one database are two silos, each with its own writer: the commits really race.
        var session = NewSession();
        await CommitStepsAsync(Journal, session, (int)readVersion);
        var other = Open();
        await other.LoadAsync(session, [], CancellationToken.None);
        JournalCommit Writer(string name) => Commit(
            session,
            readVersion,
            $"\"{name}\"",
            [new("history", readVersion, $"\"{name} row\""), new($"only-{name}", 0, "1")],
            [new($"key-{name}", "request", $"outcome {name}")]);

        var outcomes = await Task.WhenAll(
            OutcomeAsync(Journal.CommitAsync(Writer("a"), CancellationToken.None)),
            OutcomeAsync(other.CommitAsync(Writer("b"), CancellationToken.None)));

        Assert.True(outcomes.Count(o => o is null) == 1, $"exactly one commit lands; outcomes: {string.Join(" | ", outcomes.Select(o => o?.GetType().Name ?? "landed"))}");
        var loserIndex = Array.FindIndex(outcomes, o => o is not null);
        Assert.IsType<JournalConflictException>(outcomes[loserIndex]);
        Assert.Contains(session, outcomes[loserIndex]!.Message, StringComparison.Ordinal);
        var (winner, loser) = loserIndex == 0 ? ("b", "a") : ("a", "b");
        var head = await Journal.LoadAsync(session, ["history", $"only-{winner}", $"only-{loser}"], CancellationToken.None);
        Assert.Equal(readVersion + 1, head.Version);
        Assert.Equal($"\"{winner}\"", head.State);
        Assert.Equal(readVersion + 1, head.StreamLengths["history"]);
        Assert.Equal(1, head.StreamLengths[$"only-{winner}"]);
        Assert.Equal(0, head.StreamLengths[$"only-{loser}"]);
        Assert.Equal([$"\"{winner} row\""], await Journal.ReadAsync(session, "history", readVersion, 10, CancellationToken.None));
        Assert.NotNull(await Journal.FindMessageAsync(session, $"key-{winner}", CancellationToken.None));
        Assert.Null(await Journal.FindMessageAsync(session, $"key-{loser}", CancellationToken.None));
    }

    [Fact]
    public async Task Commit_StaleWriterReadVersion3HeadAt5_IsRefusedAndWritesNothing()
    {
        var session = NewSession();
        await CommitStepsAsync(Journal, session, 5);

        var error = await Assert.ThrowsAsync<JournalConflictException>(() => Journal.CommitAsync(
            Commit(session, 3, "\"stale\"", [new("stale-only", 0, "1")], [new("stale-key", "r", "o")]),
            CancellationToken.None));

        Assert.Contains(session, error.Message, StringComparison.Ordinal);
        Assert.Contains("version 3", error.Message, StringComparison.Ordinal);
        var head = await Journal.LoadAsync(session, ["history", "stale-only"], CancellationToken.None);
        Assert.Equal(5, head.Version);
        Assert.Equal("{\"v\":5}", head.State);
        Assert.Equal(0, head.StreamLengths["stale-only"]);
        Assert.Null(await Journal.FindMessageAsync(session, "stale-key", CancellationToken.None));
    }

    [Fact]
    public async Task Commit_FirstCommitWhenTheSessionHasAHead_IsRefusedAndWritesNothing()
    {
        var session = NewSession();
        await CommitStepsAsync(Journal, session, 1);

        var error = await Assert.ThrowsAsync<JournalConflictException>(() => Journal.CommitAsync(
            Commit(session, 0, "\"second first\"", [new("events", 0, "1")]), CancellationToken.None));

        Assert.Contains(session, error.Message, StringComparison.Ordinal);
        var head = await Journal.LoadAsync(session, ["events"], CancellationToken.None);
        Assert.Equal(1, head.Version);
        Assert.Equal("{\"v\":1}", head.State);
        Assert.Equal(0, head.StreamLengths["events"]);
    }

    [Fact]
    public async Task Commit_RowPositionTaken_IsRefusedAndWritesNothing()
    {
        var session = NewSession();
        await CommitStepsAsync(Journal, session, 1);

        // The head condition holds; only the history position is taken (by the first commit).
        var error = await Assert.ThrowsAsync<JournalConflictException>(() => Journal.CommitAsync(
            Commit(session, 1, "\"moved\"", [new("events", 0, "\"e\""), new("history", 0, "\"dup\"")], [new("k2", "r", "o")]),
            CancellationToken.None));

        Assert.Contains(session, error.Message, StringComparison.Ordinal);
        Assert.Contains("history", error.Message, StringComparison.Ordinal);
        var head = await Journal.LoadAsync(session, ["history", "events"], CancellationToken.None);
        Assert.Equal(1, head.Version);
        Assert.Equal("{\"v\":1}", head.State);
        Assert.Equal(0, head.StreamLengths["events"]);
        Assert.Equal(["\"h0\""], await Journal.ReadAsync(session, "history", 0, 10, CancellationToken.None));
        Assert.Null(await Journal.FindMessageAsync(session, "k2", CancellationToken.None));
    }

    [Fact]
    public async Task FindMessage_RecordedKey_ReturnsItsRequestAndOutcome()
    {
        var session = NewSession();
        var otherSession = NewSession();
        await Journal.CommitAsync(Commit(session, 0, "{}", messages: [new("key-1", "{\"ask\":\"ünïcode\"}", "{\"answer\": 42}")]), CancellationToken.None);

        var found = await Journal.FindMessageAsync(session, "key-1", CancellationToken.None);
        var unknown = await Journal.FindMessageAsync(session, "key-2", CancellationToken.None);
        var otherSessions = await Journal.FindMessageAsync(otherSession, "key-1", CancellationToken.None);

        Assert.Equal(new MessageRecord("key-1", "{\"ask\":\"ünïcode\"}", "{\"answer\": 42}"), found);
        Assert.Null(unknown);
        Assert.Null(otherSessions);
        // Keys are per session: another session may record the same key.
        Assert.Equal(1, await Journal.CommitAsync(Commit(otherSession, 0, "{}", messages: [new("key-1", "x", "y")]), CancellationToken.None));
    }

    [Fact]
    public async Task Commit_KeyAlreadyRecorded_IsRefusedAndTheFirstOutcomeStays()
    {
        var session = NewSession();
        await Journal.CommitAsync(Commit(session, 0, "\"first\"", messages: [new("key", "request 1", "outcome 1")]), CancellationToken.None);

        var error = await Assert.ThrowsAsync<JournalConflictException>(() => Journal.CommitAsync(
            Commit(session, 1, "\"second\"", [new("history", 0, "1")], [new("key", "request 2", "outcome 2")]),
            CancellationToken.None));

        Assert.Contains(session, error.Message, StringComparison.Ordinal);
        Assert.Contains("'key'", error.Message, StringComparison.Ordinal);
        var head = await Journal.LoadAsync(session, ["history"], CancellationToken.None);
        Assert.Equal(1, head.Version);
        Assert.Equal("\"first\"", head.State);
        Assert.Equal(0, head.StreamLengths["history"]);
        Assert.Equal(new MessageRecord("key", "request 1", "outcome 1"), await Journal.FindMessageAsync(session, "key", CancellationToken.None));
    }

    [Fact]
    public async Task Read_Ranges_ReturnThoseRowsInOrder()
    {
        var session = NewSession();
        var neighbour = NewSession();
        for (var step = 0; step < 5; step++)
        {
            var rows = Enumerable.Range(step * 5, 5).Select(i => new JournalAppend("history", i, $"\"r{i}\"")).Append(new("events", step, $"\"e{step}\""));
            await Journal.CommitAsync(Commit(session, step, "{}", [.. rows]), CancellationToken.None);
        }

        await Journal.CommitAsync(Commit(neighbour, 0, "{}", [new("history", 0, "\"theirs\"")]), CancellationToken.None);

        Assert.Equal(Enumerable.Range(10, 5).Select(i => $"\"r{i}\""), await Journal.ReadAsync(session, "history", 10, 5, CancellationToken.None));
        Assert.Equal(["\"r22\"", "\"r23\"", "\"r24\""], await Journal.ReadAsync(session, "history", 22, 10, CancellationToken.None));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"\"r{i}\""), await Journal.ReadAsync(session, "history", 0, 100, CancellationToken.None));
        Assert.Empty(await Journal.ReadAsync(session, "history", 25, 10, CancellationToken.None));
        Assert.Empty(await Journal.ReadAsync(session, "history", 0, 0, CancellationToken.None));
        Assert.Equal(["\"e3\"", "\"e4\""], await Journal.ReadAsync(session, "events", 3, 10, CancellationToken.None));
        Assert.Equal(["\"theirs\""], await Journal.ReadAsync(neighbour, "history", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Commit_64SessionsCommitting20StepsConcurrently_AllLandWithTheirLengths()
    {
        const int sessions = 64;
        const int steps = 20;
        var ids = Enumerable.Range(0, sessions).Select(_ => NewSession()).ToArray();

        await Task.WhenAll(ids.Select(id => Task.Run(async () =>
        {
            for (var step = 0; step < steps; step++)
            {
                var version = await Journal.CommitAsync(
                    Commit(id, step, $"{{\"step\":{step}}}",
                        [new("history", step, $"\"{id} h{step}\""), new("events", 2 * step, "\"a\""), new("events", (2 * step) + 1, "\"b\"")],
                        [new($"key-{step}", "r", $"o{step}")]),
                    CancellationToken.None);
                Assert.Equal(step + 1, version);
            }
        })));

        foreach (var id in ids)
        {
            var head = await Journal.LoadAsync(id, ["history", "events"], CancellationToken.None);
            Assert.Equal(steps, head.Version);
            Assert.Equal($"{{\"step\":{steps - 1}}}", head.State);
            Assert.Equal(steps, head.StreamLengths["history"]);
            Assert.Equal(2 * steps, head.StreamLengths["events"]);
        }

        Assert.Equal(Enumerable.Range(0, steps).Select(i => $"\"{ids[5]} h{i}\""), await Journal.ReadAsync(ids[5], "history", 0, steps, CancellationToken.None));
        Assert.Equal(new MessageRecord("key-19", "r", "o19"), await Journal.FindMessageAsync(ids[63], "key-19", CancellationToken.None));
    }

    [Fact]
    public async Task Commit_ConflictingCommitsInsideABusyBatch_FailAloneAndTheOthersLand()
    {
        // Three sessions at version 1, each about to receive one kind of conflicting commit.
        var stale = NewSession();
        var taken = NewSession();
        var reused = NewSession();
        foreach (var id in new[] { stale, taken, reused })
        {
            await Journal.CommitAsync(Commit(id, 0, "\"v1\"", [new("history", 0, "\"h0\"")], [new("key", "r", "o")]), CancellationToken.None);
        }

        var conflicting = new Dictionary<int, string>
        {
            [10] = stale,
            [25] = taken,
            [40] = reused,
        };
        var good = Enumerable.Range(0, 60).Select(_ => NewSession()).ToArray();

        // Queued back to back without waiting, so the writer finds them together.
        var commits = new List<(string Session, Task<long> Task)>();
        for (var i = 0; i < good.Length; i++)
        {
            if (conflicting.TryGetValue(i, out var id))
            {
                var commit = id == stale
                    ? Commit(id, 0, "\"bad\"", [new("history", 1, "\"bad\"")])
                    : id == taken
                        ? Commit(id, 1, "\"bad\"", [new("history", 0, "\"bad\"")])
                        : Commit(id, 1, "\"bad\"", [new("history", 1, "\"bad\"")], [new("key", "r2", "o2")]);
                commits.Add((id, Journal.CommitAsync(commit, CancellationToken.None)));
            }

            commits.Add((good[i], Journal.CommitAsync(Commit(good[i], 0, $"\"{i}\"", [new("history", 0, $"\"{i}\"")], [new("key", "r", $"{i}")]), CancellationToken.None)));
        }

        var outcomes = await Task.WhenAll(commits.Select(c => OutcomeAsync(c.Task)));

        for (var i = 0; i < commits.Count; i++)
        {
            var (id, _) = commits[i];
            if (conflicting.ContainsValue(id))
            {
                Assert.IsType<JournalConflictException>(outcomes[i]);
                var head = await Journal.LoadAsync(id, ["history"], CancellationToken.None);
                Assert.Equal((1L, "\"v1\"", 1L), (head.Version, head.State, head.StreamLengths["history"]));
            }
            else
            {
                Assert.True(outcomes[i] is null, $"commit {i} ({id}) lands: {outcomes[i]}");
            }
        }

        for (var i = 0; i < good.Length; i++)
        {
            var head = await Journal.LoadAsync(good[i], ["history"], CancellationToken.None);
            Assert.Equal((1L, $"\"{i}\"", 1L), (head.Version, head.State, head.StreamLengths["history"]));
            Assert.Equal(new MessageRecord("key", "r", $"{i}"), await Journal.FindMessageAsync(good[i], "key", CancellationToken.None));
        }
    }

    [Fact]
    public async Task Dispose_WithCommitsQueued_TheyLandAndSurviveReopening()
    {
        var sessions = Enumerable.Range(0, 20).Select(_ => NewSession()).ToArray();
        var first = Open();
        await first.LoadAsync(sessions[0], [], CancellationToken.None);
        var queued = sessions.Select(id => first.CommitAsync(Commit(id, 0, $"\"{id}\"", [new("history", 0, "\"h\"")], [new("k", "r", "o")]), CancellationToken.None)).ToArray();

        await ((IAsyncDisposable)first).DisposeAsync();

        Assert.All(await Task.WhenAll(queued), v => Assert.Equal(1, v));
        var reopened = Open();
        foreach (var id in sessions)
        {
            var head = await reopened.LoadAsync(id, ["history"], CancellationToken.None);
            Assert.Equal((1L, $"\"{id}\"", 1L), (head.Version, head.State, head.StreamLengths["history"]));
            Assert.Equal(new MessageRecord("k", "r", "o"), await reopened.FindMessageAsync(id, "k", CancellationToken.None));
        }

        Assert.Equal(2, await reopened.CommitAsync(Commit(sessions[0], 1, "\"next\"", [new("history", 1, "\"h1\"")]), CancellationToken.None));
    }

    [Fact]
    public async Task Commit_MalformedCommit_ThrowsArgumentExceptionAndWritesNothing()
    {
        var session = NewSession();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Journal.CommitAsync(Commit(session, -1, "{}"), CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Journal.CommitAsync(Commit(session, 0, "{}", [new("history", -1, "1")]), CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Journal.CommitAsync(Commit(session, 0, "{}", [new("history", 0, null!)]), CancellationToken.None));

        Assert.Equal(0, (await Journal.LoadAsync(session, [], CancellationToken.None)).Version);
    }

    [Fact]
    public async Task Load_SessionAsTheRuntimeStoredIt_LoadsAndTakesTheNextCommit()
    {
        // Rows exactly as the pre-Orleans runtime wrote a session grain: its state named 'session' and its logs.
        var session = NewSession();
        // The journal creates its tables on first use; this test may be the class's first.
        Assert.Equal(0, (await Journal.LoadAsync(session, [], CancellationToken.None)).Version);
        await ExecuteAsync($$"""
            INSERT INTO grain_state (grain_id, name, version, payload, updated_at) VALUES ('{{session}}', 'session', 7, '{"old":true}', {{SqlTime(At)}});
            INSERT INTO grain_log (grain_id, stream, seq, payload, created_at) VALUES
                ('{{session}}', 'history', 0, '"a"', {{SqlTime(At)}}),
                ('{{session}}', 'history', 1, '"b"', {{SqlTime(At)}}),
                ('{{session}}', 'history', 2, '"c"', {{SqlTime(At)}})
            """);

        var head = await Journal.LoadAsync(session, ["history", "events"], CancellationToken.None);
        var next = await Journal.CommitAsync(Commit(session, 7, "{\"new\":true}", [new("history", 3, "\"d\"")]), CancellationToken.None);

        Assert.Equal(7, head.Version);
        Assert.Equal("{\"old\":true}", head.State);
        Assert.Equal(new Dictionary<string, long> { ["history"] = 3, ["events"] = 0 }, head.StreamLengths);
        Assert.Equal(8, next);
        Assert.Equal(["\"a\"", "\"b\"", "\"c\"", "\"d\""], await Journal.ReadAsync(session, "history", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Commit_FirstCommit_StoresHeadRowsAndKeysInTheSharedTablesAtTheCommitsTime()
    {
        var session = NewSession();
        await Journal.CommitAsync(Commit(session, 0, "{}", [new("history", 0, "1")], [new("k", "r", "o")]), CancellationToken.None);

        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync($"SELECT version FROM grain_state WHERE grain_id = '{session}' AND name = 'session'"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(At, ReadTime(await ScalarAsync($"SELECT updated_at FROM grain_state WHERE grain_id = '{session}'")));
        Assert.Equal(At, ReadTime(await ScalarAsync($"SELECT created_at FROM grain_log WHERE grain_id = '{session}' AND stream = 'history' AND seq = 0")));
        Assert.Equal(At, ReadTime(await ScalarAsync($"SELECT created_at FROM message_keys WHERE grain_id = '{session}' AND key = 'k'")));
    }

    /// <summary>Null when <paramref name="task"/> succeeds, else its exception.</summary>
    private protected static async Task<Exception?> OutcomeAsync(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
