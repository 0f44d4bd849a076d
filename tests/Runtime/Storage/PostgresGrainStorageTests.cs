using AgentGrains.Runtime;
using AgentGrains.Runtime.Storage;
using AgentGrains.Runtime.Storage.Postgres;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

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

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private PostgresGrainStorage NewStorage() => new(Options, NullLogger<PostgresGrainStorage>.Instance);
}
