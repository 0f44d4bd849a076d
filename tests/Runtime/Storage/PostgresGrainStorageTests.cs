using AgentGrains.Runtime;
using AgentGrains.Runtime.Storage;
using AgentGrains.Runtime.Storage.Postgres;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentGrains.Tests.Runtime.Storage;

[Trait("Category", "Integration")]
[Trait("Provider", "Postgres")]
public sealed class PostgresGrainStorageTests : GrainStorageContractTests
{
    private readonly StorageUnderTest database = StorageUnderTest.Postgres();

    private StorageOptions Options => new()
    {
        Provider = StorageProvider.PostgreSQL,
        ConnectionString = database.Settings["ConnectionStrings:AgentGrains"],
        Schema = database.Settings["Storage:Schema"]!,
    };

    private protected override async Task<IGrainStorage> CreateStorageAsync()
    {
        await database.InitializeAsync();
        return NewStorage();
    }

    [Fact]
    public async Task Initialize_ManySilosOnAFreshSchemaAtOnce_AllSucceedAndEachScriptIsAppliedOnce()
    {
        await database.ExecuteAsync($"DROP SCHEMA {database.Settings["Storage:Schema"]} CASCADE");
        var silos = Enumerable.Range(0, 8).Select(_ => NewStorage()).ToArray();
        try
        {
            await Task.WhenAll(silos.Select(s => s.InitializeAsync(CancellationToken.None)));

            var scripts = MigrationScript.Load("postgres");
            Assert.Equal((long)scripts.Count, await database.ScalarAsync("SELECT COUNT(*) FROM schema_version"));
            Assert.Equal((long)scripts.Count, await database.ScalarAsync("SELECT COUNT(DISTINCT version) FROM schema_version"));
            // Every silo can work on the schema the others created.
            var grain = new GrainId("counter", "migrated");
            var inserts = await Task.WhenAll(silos.Select((s, i) => s.EnqueueAsync(new InboxMessage(grain, $"k{i}", "M", "[]", null, DateTimeOffset.UnixEpoch), CancellationToken.None)));
            Assert.All(inserts, r => Assert.False(r.Duplicate));
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Initialize_SecondTimeOnSameSchema_KeepsDataAndAppliesNothingTwice()
    {
        await Storage.EnqueueAsync(new InboxMessage(new("counter", "x"), "k", "M", "[]", null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        await using var again = NewStorage();

        await again.InitializeAsync(CancellationToken.None);

        Assert.Single(await again.ReadPendingAsync(new("counter", "x"), CancellationToken.None));
        Assert.Equal((long)MigrationScript.Load("postgres").Count, await database.ScalarAsync("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public async Task Enqueue_ArgumentsWithSpacingAndKeyOrder_ReadBackByteForByte()
    {
        // Duplicate detection compares stored arguments with a retry's; they must come back exactly as written.
        const string arguments = "[{\"b\": 1,   \"a\":[ 2 ]}, \"\\u00e9\\n\", null]";
        await Storage.EnqueueAsync(new InboxMessage(new("counter", "json"), "k", "M", arguments, "00-trace", DateTimeOffset.UnixEpoch), CancellationToken.None);

        var stored = await Storage.ReadMessageAsync(new("counter", "json"), "k", CancellationToken.None);

        Assert.Equal(arguments, stored!.Arguments);
        Assert.Equal("00-trace", stored.TraceParent);
    }

    [Fact]
    public async Task Initialize_ServerUnreachable_FailsWithTransientStorageErrorNamingTheServerNotThePassword()
    {
        await using var storage = new PostgresGrainStorage(
            new StorageOptions
            {
                Provider = StorageProvider.PostgreSQL,
                // Port 1 on loopback: nothing listens there.
                ConnectionString = "Host=127.0.0.1;Port=1;Username=u;Password=s3cret-value;Database=d;Timeout=3",
                Schema = "unreachable",
            },
            NullLogger<PostgresGrainStorage>.Instance);

        var error = await Assert.ThrowsAsync<StorageException>(() => storage.InitializeAsync(CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryClaim_TwoSilosOnTwoConnectionsAtOnce_ExactlyOneOwnsEachGrain()
    {
        // Two stores are two silos: separate writers and connections, so the claims really race.
        await using var other = NewStorage();
        await other.InitializeAsync(CancellationToken.None);
        var (a, b) = ((PostgresGrainStorage)Storage, other);
        await a.RegisterAsync("silo-a", "http://a", CancellationToken.None);
        await b.RegisterAsync("silo-b", "http://b", CancellationToken.None);
        var deathTimeout = TimeSpan.FromMinutes(1);
        var grains = Enumerable.Range(0, 50).Select(i => new GrainId("counter", $"race-{i}")).ToArray();

        var claims = await Task.WhenAll(grains.Select(async g =>
        {
            var results = await Task.WhenAll(
                a.TryClaimAsync(g, "silo-a", deathTimeout, CancellationToken.None),
                b.TryClaimAsync(g, "silo-b", deathTimeout, CancellationToken.None));
            return (Grain: g, A: results[0], B: results[1]);
        }));

        foreach (var (grain, first, second) in claims)
        {
            // One epoch, and the loser is told who won.
            Assert.True(first.Epoch is null ^ second.Epoch is null, $"{grain}: {first} / {second}");
            var winner = first.Epoch is null ? "silo-b" : "silo-a";
            Assert.Equal(winner, (first.Epoch is null ? first : second).Owner);
            Assert.Equal(winner, await a.ReadOwnerAsync(grain, deathTimeout, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Enqueue_OneRowTheServerRefusesAmongMany_OnlyThatOneFailsAndTheOthersCommitInOrder()
    {
        var grain = new GrainId("counter", "refused");
        // PostgreSQL text cannot hold NUL: the server refuses that row inside the shared batch.
        var writes = Enumerable.Range(0, 20)
            .Select(i => Storage.EnqueueAsync(new InboxMessage(grain, $"k{i}", i == 7 ? "Bad\0Method" : "M", $"[{i}]", null, DateTimeOffset.UnixEpoch), CancellationToken.None))
            .ToArray();

        var error = await Assert.ThrowsAsync<StorageException>(() => writes[7]);
        await Task.WhenAll(writes.Where((_, i) => i != 7));

        Assert.False(error.IsTransient);
        var pending = await Storage.ReadPendingAsync(grain, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 20).Where(i => i != 7).Select(i => $"[{i}]"), pending.Select(p => p.Arguments));
    }

    [Fact]
    public async Task Writes_AfterTheServerDroppedTheWritersConnection_FailAtMostTransientlyThenSucceed()
    {
        var application = $"agentgrains-drop-{Guid.NewGuid():N}"[..40];
        var options = Options;
        options.ConnectionString = new NpgsqlConnectionStringBuilder(options.ConnectionString) { ApplicationName = application }.ConnectionString;
        await using var storage = new PostgresGrainStorage(options, NullLogger<PostgresGrainStorage>.Instance);
        await storage.InitializeAsync(CancellationToken.None);
        var grain = new GrainId("counter", "dropped");
        await storage.EnqueueAsync(new InboxMessage(grain, "before", "M", "[]", null, DateTimeOffset.UnixEpoch), CancellationToken.None);

        Assert.NotEqual(0L, await database.ScalarAsync(
            $"SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{application}'"));

        // The first write after the drop may find the dead connection; it must say a retry can help.
        try
        {
            await storage.EnqueueAsync(new InboxMessage(grain, "after", "M", "[]", null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        }
        catch (StorageException ex)
        {
            Assert.True(ex.IsTransient, ex.ToString());
        }

        var retried = await storage.EnqueueAsync(new InboxMessage(grain, "after", "M", "[]", null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        Assert.Equal(["before", "after"], (await Storage.ReadPendingAsync(grain, CancellationToken.None)).Select(p => p.IdempotencyKey));
        Assert.Equal("after", retried.Record.IdempotencyKey);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private PostgresGrainStorage NewStorage() => new(Options, NullLogger<PostgresGrainStorage>.Instance);
}
