using AgentGrains.Storage.Memory;

namespace AgentGrains.Tests.Storage.Memory;

/// <summary>What every memory store must do; one subclass per provider.</summary>
/// <remarks>
/// A test class shares one database (a SQLite file, a PostgreSQL schema), fresh when the class
/// starts: its first test is also the first use of the store on an unmigrated database. Every test
/// uses users of its own (<see cref="NewUser"/>), so tests never see each other's facts.
/// </remarks>
public abstract class MemoryStoreContractTests : IAsyncLifetime
{
    private protected static readonly DateTimeOffset At = new(2026, 12, 6, 10, 15, 30, 123, TimeSpan.Zero);

    private readonly List<IMemoryStore> opened = [];
    private IMemoryStore? store;

    /// <summary>The store a test works with (more can be opened on the same database with <see cref="Open"/>).</summary>
    private protected IMemoryStore Store => store ?? throw new InvalidOperationException("InitializeAsync has not run.");

    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new store on this class's database, not yet used.</summary>
    private protected abstract IMemoryStore CreateStore();

    public virtual ValueTask InitializeAsync()
    {
        store = Open();
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

    /// <summary>Opens another store on the same database, disposed with the test.</summary>
    private protected IMemoryStore Open()
    {
        var created = CreateStore();
        opened.Add(created);
        return created;
    }

    private protected static string NewUser() => $"user-{Guid.NewGuid():N}";

    private protected static NewMemoryFact Fact(string user, string text, string? key = null, float[]? embedding = null, int step = 0) =>
        new(user, text, "session-1", "run-1", step, key ?? $"key-{Guid.NewGuid():N}", At, embedding);

    /// <summary>Remembers each text in order (so the last is the newest) and returns the stored facts.</summary>
    private protected async Task<MemoryFact[]> RememberAllAsync(string user, params string[] texts)
    {
        var facts = new MemoryFact[texts.Length];
        for (var i = 0; i < texts.Length; i++)
        {
            facts[i] = await Store.RememberAsync(Fact(user, texts[i]), Ct);
        }

        return facts;
    }

    private static string[] Texts(IEnumerable<MemoryFact> facts) => facts.Select(f => f.Text).ToArray();

    [Fact]
    public async Task Remember_NewKey_ReturnsTheStoredFactWithWhereItWasTold()
    {
        var user = NewUser();

        var fact = await Store.RememberAsync(new NewMemoryFact(user, "My name is Ada", "session-7", "run-3", 4, "call-1", At), Ct);

        Assert.True(fact.Id > 0);
        Assert.Equal((user, "My name is Ada", "session-7", "run-3", 4, At), (fact.UserId, fact.Text, fact.SessionId, fact.RunId, fact.Step, fact.CreatedAt));
        Assert.Null(fact.Embedding);
        Assert.Equal([fact], await Store.ListAsync(user, 0, 10, Ct));
    }

    [Fact]
    public async Task Search_QuerySharingAWord_FindsTheFact()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "My name is Ada", "I live in Lisbon");

        var found = await Store.SearchAsync(user, "Where do I live these days?", 10, Ct);

        Assert.Equal([facts[1]], found);
    }

    [Fact]
    public async Task Search_StemmedFormOfAWord_FindsTheFact()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "My name is Ada", "I like tea");

        Assert.Equal([facts[0]], await Store.SearchAsync(user, "names", 10, Ct));
        Assert.Equal([facts[1]], await Store.SearchAsync(user, "liking", 10, Ct));
    }

    [Fact]
    public async Task Search_AnyWordMatches_FindsEveryFactSharingOne()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "My dog is called Rex", "My cat is called Tom", "The weather is fine");

        var found = await Store.SearchAsync(user, "dog cat", 10, Ct);

        Assert.Equal([facts[0].Id, facts[1].Id], found.Select(f => f.Id).Order());
    }

    [Fact]
    public async Task Search_FactSharingMoreWords_RanksFirstEvenWhenOlder()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "My favourite colour is blue", "The sky over the harbour is blue");

        var found = await Store.SearchAsync(user, "favourite colour blue", 10, Ct);

        Assert.Equal(Texts([facts[0], facts[1]]), Texts(found));
    }

    [Fact]
    public async Task Search_EqualMatches_NewestFirst()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "Ada plays chess", "Ada plays chess");

        var found = await Store.SearchAsync(user, "chess", 10, Ct);

        Assert.Equal([facts[1].Id, facts[0].Id], found.Select(f => f.Id));
    }

    [Fact]
    public async Task Search_Limit_ReturnsAtMostThatMany()
    {
        var user = NewUser();
        await RememberAllAsync(user, "tea one", "tea two", "tea three", "tea four");

        Assert.Equal(2, (await Store.SearchAsync(user, "tea", 2, Ct)).Count);
    }

    [Fact]
    public async Task Search_WordsWithDiacriticsAndCase_FindTheFact()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "Ada moved to Zürich in 2024", "Ada likes Café Central");

        Assert.Equal([facts[0]], await Store.SearchAsync(user, "ZÜRICH?", 10, Ct));
        Assert.Equal([facts[0]], await Store.SearchAsync(user, "2024", 10, Ct));
    }

    [Fact]
    public async Task Search_OnlyStopWords_FindsNothing()
    {
        var user = NewUser();
        await RememberAllAsync(user, "The cat is on the mat");

        Assert.Empty(await Store.SearchAsync(user, "the is on", 10, Ct));
        Assert.Single(await Store.SearchAsync(user, "the cats", 10, Ct));
    }

    [Fact]
    public async Task Search_StopWordsBesideAWord_FindsByTheWord()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "Ada keeps bees", "Ada keeps goats");

        Assert.Equal([facts[0]], await Store.SearchAsync(user, "what are the bees of it", 10, Ct));
    }

    [Theory]
    [InlineData("\"bees\"")]
    [InlineData("\"bees")]
    [InlineData("bees*")]
    [InlineData("-bees")]
    [InlineData("bees -goats")]
    [InlineData("fact:bees")]
    [InlineData("bees:*")]
    [InlineData("bees:A")]
    [InlineData("(bees")]
    [InlineData("bees)")]
    [InlineData("bees & honey")]
    [InlineData("bees | honey")]
    [InlineData("!bees")]
    [InlineData("!!bees")]
    [InlineData("bees <-> honey")]
    [InlineData("NEAR(bees honey)")]
    [InlineData("bees NEAR honey")]
    [InlineData("bees AND")]
    [InlineData("AND bees")]
    [InlineData("bees OR")]
    [InlineData("NOT bees")]
    [InlineData("^bees")]
    [InlineData("{fact}: bees")]
    [InlineData("bees' OR '1'='1")]
    [InlineData("bees\\")]
    [InlineData("bees;DROP TABLE memories;--")]
    public async Task Search_QueryWithOperatorCharacters_FindsByItsWordsWithoutError(string query)
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "Ada keeps bees", "Ada keeps goats");

        var found = await Store.SearchAsync(user, query, 10, Ct);

        Assert.Contains(facts[0], found);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\"")]
    [InlineData("\"\"")]
    [InlineData("*")]
    [InlineData("-")]
    [InlineData(":")]
    [InlineData("(")]
    [InlineData("()")]
    [InlineData("&")]
    [InlineData("|")]
    [InlineData("!")]
    [InlineData("?!.,;")]
    [InlineData("<->")]
    [InlineData("'")]
    [InlineData("\t\n")]
    [InlineData("NEAR")]
    [InlineData("AND")]
    [InlineData("OR NOT AND")]
    [InlineData("unrelated words entirely")]
    public async Task Search_QueryWithoutASharedWord_ReturnsNothingWithoutError(string query)
    {
        var user = NewUser();
        await RememberAllAsync(user, "Ada keeps bees");

        Assert.Empty(await Store.SearchAsync(user, query, 10, Ct));
    }

    [Fact]
    public async Task Search_ManyWords_IsAcceptedAndFindsByTheFirstOnes()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "Ada keeps bees");
        var query = "bees " + string.Join(' ', Enumerable.Range(0, 500).Select(i => $"word{i}")) + " " + new string('x', 10_000);

        Assert.Equal([facts[0]], await Store.SearchAsync(user, query, 10, Ct));
    }

    [Fact]
    public async Task Remember_SameKeyTwice_StoresOnceAndReturnsTheFirstFact()
    {
        var user = NewUser();
        var first = await Store.RememberAsync(Fact(user, "Ada prefers green tea", key: "call-1"), Ct);

        var again = await Store.RememberAsync(Fact(user, "Ada prefers black coffee", key: "call-1", step: 9), Ct);

        Assert.Equal(first, again);
        Assert.Equal([first], await Store.ListAsync(user, 0, 10, Ct));
        Assert.Empty(await Store.SearchAsync(user, "coffee", 10, Ct));
    }

    [Fact]
    public async Task Remember_SameKeyConcurrentlyFromTwoStores_StoresOnceAndEveryCallReturnsIt()
    {
        var user = NewUser();
        var other = Open();

        var calls = Enumerable.Range(0, 16)
            .Select(i => (i % 2 == 0 ? Store : other).RememberAsync(Fact(user, $"attempt {i}", key: "call-1"), Ct));
        var results = await Task.WhenAll(calls);

        var listed = Assert.Single(await Store.ListAsync(user, 0, 10, Ct));
        Assert.All(results, r => Assert.Equal(listed, r));
    }

    [Fact]
    public async Task Remember_SameKeyForAnotherUser_StoresBoth()
    {
        var (ada, bob) = (NewUser(), NewUser());

        var first = await Store.RememberAsync(Fact(ada, "Ada likes tea", key: "call-1"), Ct);
        var second = await Store.RememberAsync(Fact(bob, "Bob likes tea", key: "call-1"), Ct);

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal("Bob likes tea", second.Text);
    }

    [Fact]
    public async Task Reads_AnotherUsersFacts_AreNeverReturned()
    {
        var (ada, bob) = (NewUser(), NewUser());
        var adas = await Store.RememberAsync(Fact(ada, "Ada likes tea", embedding: [1f, 2f]), Ct);
        await Store.RememberAsync(Fact(bob, "Bob likes tea", embedding: [3f, 4f]), Ct);

        Assert.Equal([adas.Id], (await Store.SearchAsync(ada, "tea likes", 10, Ct)).Select(f => f.Id));
        Assert.Equal([adas.Id], (await Store.ListAsync(ada, 0, 10, Ct)).Select(f => f.Id));
        Assert.Equal([adas.Id], (await Store.ReadEmbeddedAsync(ada, 10, Ct)).Select(f => f.Id));
        Assert.Empty(await Store.SearchAsync(NewUser(), "tea", 10, Ct));
        Assert.Empty(await Store.ListAsync(NewUser(), 0, 10, Ct));
        Assert.Empty(await Store.ReadEmbeddedAsync(NewUser(), 10, Ct));
    }

    [Fact]
    public async Task Delete_AnotherUsersFact_ReturnsFalseAndKeepsIt()
    {
        var (ada, bob) = (NewUser(), NewUser());
        var adas = await Store.RememberAsync(Fact(ada, "Ada likes tea"), Ct);

        Assert.False(await Store.DeleteAsync(bob, adas.Id, Ct));
        Assert.Equal(0, await Store.DeleteAllAsync(bob, Ct));

        Assert.Equal([adas], await Store.ListAsync(ada, 0, 10, Ct));
        Assert.Equal([adas], await Store.SearchAsync(ada, "tea", 10, Ct));
    }

    [Fact]
    public async Task Delete_OwnFact_RemovesItFromSearchListAndEmbeddedReads()
    {
        var user = NewUser();
        var kept = await Store.RememberAsync(Fact(user, "Ada likes green tea", embedding: [1f]), Ct);
        var deleted = await Store.RememberAsync(Fact(user, "Ada likes black tea", embedding: [2f]), Ct);

        Assert.True(await Store.DeleteAsync(user, deleted.Id, Ct));

        Assert.Equal([kept], await Store.SearchAsync(user, "black tea", 10, Ct));
        Assert.Empty(await Store.SearchAsync(user, "black", 10, Ct));
        Assert.Equal([kept], await Store.ListAsync(user, 0, 10, Ct));
        Assert.Equal([kept.Id], (await Store.ReadEmbeddedAsync(user, 10, Ct)).Select(f => f.Id));
        Assert.False(await Store.DeleteAsync(user, deleted.Id, Ct));
        Assert.False(await Store.DeleteAsync(user, long.MaxValue, Ct));
    }

    [Fact]
    public async Task Remember_KeyOfADeletedFact_StoresTheNewFactUnderANewId()
    {
        var user = NewUser();
        var deleted = await Store.RememberAsync(Fact(user, "Ada likes tea", key: "call-1"), Ct);
        await Store.DeleteAsync(user, deleted.Id, Ct);

        var again = await Store.RememberAsync(Fact(user, "Ada likes coffee", key: "call-1"), Ct);

        Assert.True(again.Id > deleted.Id, "ids are never reused");
        Assert.Equal([again], await Store.SearchAsync(user, "tea coffee", 10, Ct));
    }

    [Fact]
    public async Task DeleteAll_RemovesEveryFactOfTheUserOnlyAndCountsThem()
    {
        var (ada, bob) = (NewUser(), NewUser());
        await RememberAllAsync(ada, "Ada likes tea", "Ada keeps bees", "Ada lives in Lisbon");
        var bobs = await Store.RememberAsync(Fact(bob, "Bob likes tea"), Ct);

        Assert.Equal(3, await Store.DeleteAllAsync(ada, Ct));

        Assert.Empty(await Store.ListAsync(ada, 0, 10, Ct));
        Assert.Empty(await Store.SearchAsync(ada, "tea bees Lisbon", 10, Ct));
        Assert.Equal([bobs], await Store.SearchAsync(bob, "tea", 10, Ct));
        Assert.Equal(0, await Store.DeleteAllAsync(ada, Ct));
    }

    [Fact]
    public async Task List_PagesWithBefore_NewestFirstWithoutGapsOrRepeats()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "one", "two", "three", "four", "five");

        var first = await Store.ListAsync(user, 0, 2, Ct);
        var second = await Store.ListAsync(user, first[^1].Id, 2, Ct);
        var third = await Store.ListAsync(user, second[^1].Id, 2, Ct);
        var past = await Store.ListAsync(user, third[^1].Id, 2, Ct);

        Assert.Equal(["five", "four"], Texts(first));
        Assert.Equal(["three", "two"], Texts(second));
        Assert.Equal(["one"], Texts(third));
        Assert.Empty(past);
        Assert.Equal(Texts(facts.Reverse()), Texts(await Store.ListAsync(user, 0, 100, Ct)));
        Assert.All(first, f => Assert.Null(f.Embedding));
    }

    [Fact]
    public async Task ReadEmbedded_FactsWithEmbeddings_NewestFirstWithEveryValueBitForBit()
    {
        var user = NewUser();
        float[] special = [0f, -0f, 1.5f, -2.25e-7f, float.Epsilon, float.MaxValue, float.MinValue, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0.1f];
        var random = new Random(42);
        var large = Enumerable.Range(0, 1536).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var first = await Store.RememberAsync(Fact(user, "Ada likes tea", embedding: special), Ct);
        await Store.RememberAsync(Fact(user, "Ada keeps bees"), Ct);
        var third = await Store.RememberAsync(Fact(user, "Ada lives in Lisbon", embedding: large), Ct);

        var read = await Store.ReadEmbeddedAsync(user, 10, Ct);

        Assert.Equal([third.Id, first.Id], read.Select(f => f.Id));
        Assert.Equal(Bits(large), Bits(read[0].Embedding!));
        Assert.Equal(Bits(special), Bits(read[1].Embedding!));
        Assert.Null(first.Embedding);
        Assert.All(await Store.SearchAsync(user, "tea Lisbon", 10, Ct), f => Assert.Null(f.Embedding));
        Assert.Single(await Store.ReadEmbeddedAsync(user, 1, Ct));

        static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
    }

    [Fact]
    public async Task Calls_CancelledToken_ThrowOperationCanceled()
    {
        var user = NewUser();
        await RememberAllAsync(user, "Ada likes tea");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.SearchAsync(user, "tea", 10, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.RememberAsync(Fact(user, "Ada keeps bees"), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.DeleteAllAsync(user, cancelled.Token));
        Assert.Single(await Store.ListAsync(user, 0, 10, Ct));
    }

    [Fact]
    public async Task Calls_InvalidArguments_ThrowBeforeTouchingTheDatabase()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.RememberAsync(Fact("", "text"), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.RememberAsync(Fact(NewUser(), " "), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.RememberAsync(Fact(NewUser(), "text", key: ""), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.SearchAsync(NewUser(), "tea", 0, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListAsync(NewUser(), -1, 10, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAllAsync("", Ct));
    }
}
