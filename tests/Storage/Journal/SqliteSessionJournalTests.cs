using System.Globalization;
using AgentGrains.Storage;
using AgentGrains.Storage.Journal;
using AgentGrains.Storage.Journal.Sqlite;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Storage.Journal;

[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class SqliteSessionJournalTests(JournalDatabase.Sqlite database)
    : SessionJournalContractTests, IClassFixture<JournalDatabase.Sqlite>
{
    private protected override ISessionJournal CreateJournal() => new SqliteSessionJournal(
        new StorageOptions { Path = database.Storage.Settings["Storage:Path"]!, FlushEachCommit = false },
        TimeProvider.System,
        NullLogger<SqliteSessionJournal>.Instance);

    private protected override Task<object?> ScalarAsync(string sql) => database.Storage.ScalarAsync(sql);

    private protected override Task ExecuteAsync(string sql) => database.Storage.ExecuteAsync(sql);

    private protected override string SqlTime(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private protected override DateTimeOffset ReadTime(object? value) => DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value, CultureInfo.InvariantCulture));

    [Fact]
    public async Task Initialize_FileWithEveryMigrationApplied_AppliesNothingAgainAndKeepsData()
    {
        var session = NewSession();
        await Journal.CommitAsync(Commit(session, 0, "{}", [new("history", 0, "1")]), CancellationToken.None);
        var applied = await ScalarAsync("SELECT COUNT(*) FROM schema_version");
        var again = Open();

        await ((SqliteSessionJournal)again).InitializeAsync(CancellationToken.None);

        Assert.Equal(applied, await ScalarAsync("SELECT COUNT(*) FROM schema_version"));
        Assert.Equal(1, (await again.LoadAsync(session, [], CancellationToken.None)).Version);
        Assert.Equal("wal", await ScalarAsync("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Load_PathUnderAFile_FailsNamingThePathAndNotTransient()
    {
        using var directory = new TempDirectory();
        var blocker = directory.File("blocker");
        await File.WriteAllTextAsync(blocker, "not a directory", TestContext.Current.CancellationToken);
        var path = Path.Combine(blocker, "journal.db");
        await using var journal = new SqliteSessionJournal(
            new StorageOptions { Path = path }, TimeProvider.System, NullLogger<SqliteSessionJournal>.Instance);

        var error = await Assert.ThrowsAsync<StorageException>(() => journal.LoadAsync("s", [], CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
