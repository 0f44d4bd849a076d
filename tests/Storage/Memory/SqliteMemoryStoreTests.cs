using AgentGrains.Storage;
using AgentGrains.Storage.Journal;
using AgentGrains.Storage.Journal.Sqlite;
using AgentGrains.Storage.Memory;
using AgentGrains.Storage.Migrations;
using AgentGrains.Tests.Infrastructure;
using AgentGrains.Tests.Storage.Journal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Storage.Memory;

[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class SqliteMemoryStoreTests(JournalDatabase.Sqlite database)
    : MemoryStoreContractTests, IClassFixture<JournalDatabase.Sqlite>
{
    private protected override IMemoryStore CreateStore() => NewStore(database.Storage.Settings["Storage:Path"]!);

    private static SqliteMemoryStore NewStore(string path) => new(
        new StorageOptions { Path = path, FlushEachCommit = false }, TimeProvider.System, NullLogger<SqliteMemoryStore>.Instance);

    [Fact]
    public async Task Remember_FreshFileBeforeAnyJournal_MigratesItAndTheJournalThenOpensIt()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "data", "nested", "agentgrains.db");
        await using var store = NewStore(path);

        var fact = await store.RememberAsync(Fact("ada", "My name is Ada"), Ct);

        Assert.Equal((long)MigrationScript.Load("sqlite").Count, await ScalarAsync(path, "SELECT MAX(version) FROM schema_version"));
        Assert.Equal(1L, await ScalarAsync(path, "SELECT sqlite_compileoption_used('ENABLE_FTS5')"));
        Assert.Equal("wal", await ScalarAsync(path, "PRAGMA journal_mode"));
        await using var journal = new SqliteSessionJournal(
            new StorageOptions { Path = path, FlushEachCommit = false }, TimeProvider.System, NullLogger<SqliteSessionJournal>.Instance);
        Assert.Equal(1, await journal.CommitAsync(new JournalCommit("s", 0, "{}", [new("history", 0, "1")], [], At), Ct));
        Assert.Equal([fact], await store.SearchAsync("ada", "names", 10, Ct));
    }

    [Fact]
    public async Task Search_RarerSharedWord_RanksAboveACommonOne()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, "Ada drinks espresso daily", "Ada drinks coffee daily", "coffee at work", "coffee at home", "coffee with friends");

        var found = await Store.SearchAsync(user, "coffee espresso", 10, Ct);

        Assert.Equal(facts[0], found[0]);
        Assert.Equal(5, found.Count);
    }

    [Fact]
    public async Task Deletes_AfterManyWrites_LeaveTheFullTextIndexConsistentWithTheTable()
    {
        var user = NewUser();
        var facts = await RememberAllAsync(user, Enumerable.Range(0, 30).Select(i => $"fact number {i} about bees").ToArray());
        foreach (var fact in facts.Where((_, i) => i % 3 == 0))
        {
            Assert.True(await Store.DeleteAsync(user, fact.Id, Ct));
        }

        await Store.DeleteAllAsync(NewUser(), Ct);

        // rank 1 also compares the index with the content table: it fails on any token left behind.
        await database.Storage.ExecuteAsync("INSERT INTO memories_fts (memories_fts, rank) VALUES ('integrity-check', 1)");
        Assert.Equal(20, (await Store.SearchAsync(user, "bees", 100, Ct)).Count);
    }

    [Fact]
    public async Task Update_OfAFactsText_IsRefusedByTheDatabase()
    {
        var fact = await Store.RememberAsync(Fact(NewUser(), "Ada keeps bees"), Ct);

        var error = await Assert.ThrowsAsync<SqliteException>(() => database.Storage.ExecuteAsync($"UPDATE memories SET fact = 'changed' WHERE id = {fact.Id}"));

        Assert.Contains("written once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remember_PathUnderAFile_FailsNamingThePathAndNotTransient()
    {
        using var directory = new TempDirectory();
        var blocker = directory.File("blocker");
        await File.WriteAllTextAsync(blocker, "not a directory", Ct);
        var path = Path.Combine(blocker, "memory.db");
        await using var store = NewStore(path);

        var error = await Assert.ThrowsAsync<StorageException>(() => store.RememberAsync(Fact("ada", "text"), Ct));

        Assert.False(error.IsTransient);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private static async Task<object?> ScalarAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }
}
