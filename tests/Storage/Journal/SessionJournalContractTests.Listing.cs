using AgentGrains.Storage.Journal;

namespace AgentGrains.Tests.Storage.Journal;

/// <summary>Listing session heads: keyset pages in id order, by label, with or without derived sessions.</summary>
public abstract partial class SessionJournalContractTests
{
    private static string NewLabel() => $"agent-{Guid.NewGuid():N}";

    private protected static JournalCommit Labelled(string session, string label, string state = "{}") =>
        Commit(session, 0, state) with { Label = label };

    /// <summary>Every page of a query, followed from its first page; fails if a page says more follow but none do.</summary>
    private protected async Task<List<JournalSessionPage>> AllPagesAsync(JournalListQuery first)
    {
        var pages = new List<JournalSessionPage>();
        var query = first;
        while (true)
        {
            var page = await Journal.ListAsync(query, CancellationToken.None);
            pages.Add(page);
            if (page.Next is null)
            {
                return pages;
            }

            Assert.True(pages.Count < 10_000, "the listing never ends");
            Assert.Equal(page.Sessions[^1].SessionId, page.Next);
            query = query with { After = page.Next };
        }
    }

    [Fact]
    public async Task List_ByLabel_PagesHoldEverySessionOnceInIdOrder()
    {
        var label = NewLabel();
        var sessions = Enumerable.Range(0, 7).Select(_ => NewSession()).ToList();
        foreach (var session in sessions)
        {
            await Journal.CommitAsync(Labelled(session, label, $"{{\"id\":\"{session}\"}}"), CancellationToken.None);
        }

        var pages = await AllPagesAsync(new JournalListQuery(null, 3, label));

        Assert.Equal([3, 3, 1], pages.Select(static p => p.Sessions.Count));
        var listed = pages.SelectMany(static p => p.Sessions).ToList();
        Assert.Equal(sessions.Order(StringComparer.Ordinal), listed.Select(static s => s.SessionId));
        Assert.All(listed, s =>
        {
            Assert.Equal(label, s.Label);
            Assert.Equal(1, s.Version);
            Assert.Equal($"{{\"id\":\"{s.SessionId}\"}}", s.State);
            Assert.Equal(At, s.UpdatedAt);
        });
    }

    [Fact]
    public async Task List_ExactlyOnePageOfSessions_HasNoNext()
    {
        var label = NewLabel();
        for (var i = 0; i < 4; i++)
        {
            await Journal.CommitAsync(Labelled(NewSession(), label), CancellationToken.None);
        }

        var page = await Journal.ListAsync(new JournalListQuery(null, 4, label), CancellationToken.None);

        Assert.Equal(4, page.Sessions.Count);
        Assert.Null(page.Next);
        Assert.Empty((await Journal.ListAsync(new JournalListQuery(page.Sessions[^1].SessionId, 4, label), CancellationToken.None)).Sessions);
    }

    [Fact]
    public async Task List_LaterCommits_KeepTheFirstCommitsLabelAndShowTheLastState()
    {
        var label = NewLabel();
        var session = NewSession();
        await Journal.CommitAsync(Labelled(session, label, "{\"v\":1}"), CancellationToken.None);
        var later = At.AddMinutes(5);
        await Journal.CommitAsync(new JournalCommit(session, 1, "{\"v\":2}", [], [], later) { Label = "renamed" }, CancellationToken.None);

        var listed = Assert.Single((await Journal.ListAsync(new JournalListQuery(null, 10, label), CancellationToken.None)).Sessions);

        Assert.Equal(session, listed.SessionId);
        Assert.Equal(label, listed.Label);
        Assert.Equal(2, listed.Version);
        Assert.Equal("{\"v\":2}", listed.State);
        Assert.Equal(later, listed.UpdatedAt);
        Assert.Empty((await Journal.ListAsync(new JournalListQuery(null, 10, "renamed"), CancellationToken.None)).Sessions);
    }

    [Fact]
    public async Task List_DerivedSessions_ListedOnlyWhenAskedFor()
    {
        var label = NewLabel();
        var session = NewSession();
        var derived = $"{session}~1.1.0";
        await Journal.CommitAsync(Labelled(session, label), CancellationToken.None);
        await Journal.CommitAsync(Labelled(derived, label), CancellationToken.None);

        var top = await Journal.ListAsync(new JournalListQuery(null, 10, label), CancellationToken.None);
        var all = await Journal.ListAsync(new JournalListQuery(null, 10, label, IncludeDerived: true), CancellationToken.None);

        Assert.Equal([session], top.Sessions.Select(static s => s.SessionId));
        Assert.Equal([session, derived], all.Sessions.Select(static s => s.SessionId));
    }

    [Fact]
    public async Task List_WithoutLabel_PagesThroughEverySessionOnceInIdOrder()
    {
        var mine = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var session = NewSession();
            mine.Add(session);
            // Labelled, unlabelled: both are listed when no label is asked for.
            await Journal.CommitAsync(i % 2 == 0 ? Labelled(session, NewLabel()) : Commit(session, 0, "{}"), CancellationToken.None);
        }

        var derived = $"{mine[0]}~2";
        await Journal.CommitAsync(Commit(derived, 0, "{}"), CancellationToken.None);

        var top = (await AllPagesAsync(new JournalListQuery(null, 2))).SelectMany(static p => p.Sessions).Select(static s => s.SessionId).ToList();
        var all = (await AllPagesAsync(new JournalListQuery(null, 2, IncludeDerived: true))).SelectMany(static p => p.Sessions).Select(static s => s.SessionId).ToList();

        // Other tests of the class share the database: their sessions are listed too, each once.
        Assert.Equal(top.Order(StringComparer.Ordinal).Distinct(StringComparer.Ordinal), top);
        Assert.Equal(all.Order(StringComparer.Ordinal).Distinct(StringComparer.Ordinal), all);
        Assert.Subset(top.ToHashSet(), mine.ToHashSet());
        Assert.DoesNotContain(derived, top);
        Assert.DoesNotContain(top, id => id.Contains('~', StringComparison.Ordinal));
        Assert.Contains(derived, all);
        Assert.Subset(all.ToHashSet(), top.ToHashSet());
    }

    [Fact]
    public async Task List_SessionCreatedBetweenPages_AppearsOnALaterPageOnlyIfAheadOfTheCursor()
    {
        var label = NewLabel();
        // Ids chosen around the cursor: "b" ends the first page.
        var prefix = NewSession();
        await Journal.CommitAsync(Labelled($"{prefix}-a", label), CancellationToken.None);
        await Journal.CommitAsync(Labelled($"{prefix}-b", label), CancellationToken.None);
        await Journal.CommitAsync(Labelled($"{prefix}-d", label), CancellationToken.None);

        var first = await Journal.ListAsync(new JournalListQuery(null, 2, label), CancellationToken.None);
        await Journal.CommitAsync(Labelled($"{prefix}-0", label), CancellationToken.None);
        await Journal.CommitAsync(Labelled($"{prefix}-c", label), CancellationToken.None);
        var second = await Journal.ListAsync(new JournalListQuery(first.Next, 2, label), CancellationToken.None);

        Assert.Equal([$"{prefix}-a", $"{prefix}-b"], first.Sessions.Select(static s => s.SessionId));
        Assert.Equal([$"{prefix}-c", $"{prefix}-d"], second.Sessions.Select(static s => s.SessionId));
        Assert.Null(second.Next);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(JournalListQuery.MaxLimit + 1)]
    public async Task List_LimitOutOfRange_ThrowsArgumentException(int limit)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Journal.ListAsync(new JournalListQuery(null, limit), CancellationToken.None));
    }
}
