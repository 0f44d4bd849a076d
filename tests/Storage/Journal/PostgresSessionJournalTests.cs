using AgentGrains.Storage;
using AgentGrains.Storage.Journal;
using AgentGrains.Storage.Journal.Postgres;
using AgentGrains.Storage.Migrations;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentGrains.Tests.Storage.Journal;

[Trait("Category", "Integration")]
[Trait("Provider", "Postgres")]
public sealed class PostgresSessionJournalTests(JournalDatabase.Postgres database)
    : SessionJournalContractTests, IClassFixture<JournalDatabase.Postgres>
{
    private protected override ISessionJournal CreateJournal() => NewJournal(database.ConnectionString, database.Schema);

    private protected override Task<object?> ScalarAsync(string sql) => database.Storage.ScalarAsync(sql);

    private protected override Task ExecuteAsync(string sql) => database.Storage.ExecuteAsync(sql);

    private protected override string SqlTime(DateTimeOffset time) => $"'{time.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}+00'::timestamptz";

    private protected override DateTimeOffset ReadTime(object? value) => new((DateTime)value!, TimeSpan.Zero);

    private static PostgresSessionJournal NewJournal(string connectionString, string schema) => new(
        new StorageOptions { Provider = StorageProvider.PostgreSQL, ConnectionString = connectionString, Schema = schema },
        NullLogger<PostgresSessionJournal>.Instance);

    [Fact]
    public async Task Initialize_SeveralJournalsOnAFreshSchemaAtOnce_AllStartAndEachScriptIsAppliedOnce()
    {
        var schema = $"fresh_{Guid.NewGuid():N}";
        var journals = Enumerable.Range(0, 6).Select(_ => NewJournal(database.ConnectionString, schema)).ToArray();
        try
        {
            await Task.WhenAll(journals.Select(j => j.InitializeAsync(CancellationToken.None)));

            var scripts = MigrationScript.Load("postgres").Count;
            Assert.Equal((long)scripts, await ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".schema_version"));
            Assert.Equal((long)scripts, await ScalarAsync($"SELECT COUNT(DISTINCT version) FROM \"{schema}\".schema_version"));
            // Every journal can commit on the schema the others may have created.
            var sessions = journals.Select(_ => NewSession()).ToArray();
            var versions = await Task.WhenAll(journals.Select((j, i) => j.CommitAsync(Commit(sessions[i], 0, "{}", messages: [new("k", "r", "o")]), CancellationToken.None)));
            Assert.All(versions, v => Assert.Equal(1, v));
        }
        finally
        {
            foreach (var journal in journals)
            {
                await journal.DisposeAsync();
            }

            await ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }

    [Fact]
    public async Task Commit_AfterTheServerDroppedTheWritersConnection_FailsAtMostTransientlyThenLandsOnRetry()
    {
        var application = $"journal-drop-{Guid.NewGuid():N}"[..40];
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = application }.ConnectionString;
        await using var dropped = NewJournal(connectionString, database.Schema);
        var session = NewSession();
        await dropped.CommitAsync(Commit(session, 0, "\"before\""), CancellationToken.None);

        Assert.NotEqual(0L, await ScalarAsync($"SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{application}'"));

        // The first commit after the drop meets the dead connection: it must say a retry can help.
        var next = Commit(session, 1, "\"after\"", [new("history", 0, "1")], [new("k", "r", "o")]);
        var outcome = await OutcomeAsync(dropped.CommitAsync(next, CancellationToken.None));
        if (outcome is not null)
        {
            var failure = Assert.IsType<StorageException>(outcome);
            Assert.True(failure.IsTransient, failure.ToString());
            // A caller reloads before it retries: the failed commit did not land.
            Assert.Equal(1, (await Journal.LoadAsync(session, [], CancellationToken.None)).Version);
            Assert.Equal(2, await dropped.CommitAsync(next, CancellationToken.None));
        }

        var head = await Journal.LoadAsync(session, ["history"], CancellationToken.None);
        Assert.Equal((2L, "\"after\"", 1L), (head.Version, head.State, head.StreamLengths["history"]));
    }

    [Fact]
    public async Task Commit_PayloadTheServerRefusesInsideABusyBatch_FailsAloneAndNotTransient()
    {
        var sessions = Enumerable.Range(0, 20).Select(_ => NewSession()).ToArray();
        await Journal.LoadAsync(sessions[0], [], CancellationToken.None);

        // PostgreSQL text cannot hold U+0000: the server refuses that commit inside the shared batch.
        var commits = sessions
            .Select((id, i) => Journal.CommitAsync(Commit(id, 0, "{}", [new("history", 0, i == 7 ? "\"bad\0row\"" : $"\"{i}\"")]), CancellationToken.None))
            .ToArray();
        var outcomes = await Task.WhenAll(commits.Select(OutcomeAsync));

        var error = Assert.IsType<StorageException>(outcomes[7]);
        Assert.False(error.IsTransient);
        Assert.All(outcomes.Where((_, i) => i != 7), o => Assert.Null(o));
        Assert.Equal(0, (await Journal.LoadAsync(sessions[7], [], CancellationToken.None)).Version);
        Assert.Equal(["\"8\""], await Journal.ReadAsync(sessions[8], "history", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Initialize_ServerUnreachable_FailsTransientlyNamingTheServerNotThePassword()
    {
        // Port 1 on loopback: nothing listens there.
        await using var unreachable = NewJournal("Host=127.0.0.1;Port=1;Username=u;Password=s3cret-value;Database=d;Timeout=3", "unreachable");

        var error = await Assert.ThrowsAsync<StorageException>(() => unreachable.LoadAsync("s", [], CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", error.ToString(), StringComparison.Ordinal);
    }
}
