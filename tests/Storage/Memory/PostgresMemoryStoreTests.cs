using AgentGrains.Storage;
using AgentGrains.Storage.Journal;
using AgentGrains.Storage.Journal.Postgres;
using AgentGrains.Storage.Memory;
using AgentGrains.Storage.Migrations;
using AgentGrains.Tests.Storage.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Storage.Memory;

[Trait("Category", "Integration")]
[Trait("Provider", "Postgres")]
public sealed class PostgresMemoryStoreTests(JournalDatabase.Postgres database)
    : MemoryStoreContractTests, IClassFixture<JournalDatabase.Postgres>
{
    private protected override IMemoryStore CreateStore() => NewStore(database.ConnectionString, database.Schema);

    private static PostgresMemoryStore NewStore(string connectionString, string schema) => new(
        new StorageOptions { Provider = StorageProvider.PostgreSQL, ConnectionString = connectionString, Schema = schema },
        NullLogger<PostgresMemoryStore>.Instance);

    [Fact]
    public async Task Remember_FreshSchemaBeforeAnyJournal_MigratesItAndTheJournalThenOpensIt()
    {
        var schema = $"fresh_{Guid.NewGuid():N}";
        try
        {
            await using var store = NewStore(database.ConnectionString, schema);

            var fact = await store.RememberAsync(Fact("ada", "My name is Ada"), Ct);

            var scripts = (long)MigrationScript.Load("postgres").Count;
            Assert.Equal(scripts, await database.Storage.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".schema_version"));
            await using var journal = new PostgresSessionJournal(
                new StorageOptions { Provider = StorageProvider.PostgreSQL, ConnectionString = database.ConnectionString, Schema = schema },
                NullLogger<PostgresSessionJournal>.Instance);
            Assert.Equal(1, await journal.CommitAsync(new JournalCommit("s", 0, "{}", [new("history", 0, "1")], [], At), Ct));
            Assert.Equal(scripts, await database.Storage.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".schema_version"));
            Assert.Equal([fact], await store.SearchAsync("ada", "names", 10, Ct));
        }
        finally
        {
            await database.Storage.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }

    [Fact]
    public async Task Remember_TextTheServerRefuses_FailsNotTransient()
    {
        // PostgreSQL text cannot hold U+0000.
        var error = await Assert.ThrowsAsync<StorageException>(() => Store.RememberAsync(Fact(NewUser(), "bad\0fact"), Ct));

        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Remember_ServerUnreachable_FailsTransientlyNamingTheServerNotThePassword()
    {
        // Port 1 on loopback: nothing listens there.
        await using var unreachable = NewStore("Host=127.0.0.1;Port=1;Username=u;Password=s3cret-value;Database=d;Timeout=3", "unreachable");

        var error = await Assert.ThrowsAsync<StorageException>(() => unreachable.RememberAsync(Fact("ada", "text"), Ct));

        Assert.True(error.IsTransient);
        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", error.ToString(), StringComparison.Ordinal);
    }
}
