using AgentGrains.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.Storage.Orleans;

/// <summary>
/// The reminder table contract (<see cref="IReminderTable"/>) as Orleans' ADO.NET provider runs it on
/// the project's SQLite statements: ring ranges, ETags, and rows of other services.
/// </summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class SqliteReminderTableTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private readonly string serviceId = Guid.NewGuid().ToString("N");
    private SqliteOrleansCluster? cluster;

    private IReminderTable Table => cluster!.SiloServices.GetRequiredService<IReminderTable>();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        cluster = await SqliteOrleansCluster.StartAsync(directory.File("agentgrains.db"), serviceId);

    public async ValueTask DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }

        directory.Dispose();
    }

    [Fact]
    public async Task ReadRows_RingRanges_ReturnExactlyTheRowsWhoseHashIsAfterBeginUpToEnd()
    {
        var ids = Enumerable.Range(0, 400).Select(i => GrainId.Create("ring", $"g{i}")).ToList();
        foreach (var id in ids)
        {
            await Table.UpsertRow(Entry(id, "r"), Cancel);
        }

        // Cast to int (as the provider binds them), hashes from 2^31 up are negative: ranges on both
        // sides of that line, across it and across uint.MaxValue take both of its statements.
        var hashes = ids.Select(id => id.GetUniformHashCode()).Order().ToList();
        var low = hashes.Where(h => h < 0x8000_0000u).ToList();
        var high = hashes.Where(h => h >= 0x8000_0000u).ToList();
        Assert.True(low.Count > 20 && high.Count > 20, $"400 grain ids spread over both halves of the ring ({low.Count} low, {high.Count} high)");
        var ranges = new (uint Begin, uint End, string What)[]
        {
            (low[5], low[^5], "within the lower half"),
            (high[5], high[^5], "within the upper half (negative as signed)"),
            (low[^10], high[10], "across 2^31 (the signed order wraps)"),
            (high[^10], low[10], "across uint.MaxValue (the ring wraps)"),
            (high[10], low[^10], "across uint.MaxValue, nearly the whole ring"),
            (hashes[^1], hashes[0], "from the largest hash round to the smallest"),
            (hashes[123], hashes[123], "begin = end: the whole ring"),
            (0u, uint.MaxValue, "(0, uint.MaxValue]"),
            (uint.MaxValue, 0u, "(uint.MaxValue, 0]: only hash 0"),
            (0x7FFF_FFFFu, 0x8000_0000u, "the one step over 2^31"),
        };

        foreach (var (begin, end, what) in ranges)
        {
            var expected = ids.Where(id => InRange(id.GetUniformHashCode(), begin, end)).Select(id => id.ToString()).Order(StringComparer.Ordinal);
            var actual = (await Table.ReadRows(begin, end, Cancel)).Reminders.Select(r => r.GrainId.ToString()).Order(StringComparer.Ordinal);
            Assert.True(expected.SequenceEqual(actual), $"ReadRows({begin}, {end}), {what}: expected {expected.Count()} rows, got {actual.Count()}");
        }
    }

    [Fact]
    public async Task UpsertRow_ThenReadRow_RoundTripsStartAndPeriodInUtc()
    {
        var id = GrainId.Create("roundtrip", "a");
        var startAt = new DateTime(2026, 12, 1, 10, 30, 15, DateTimeKind.Utc).AddTicks(1234567);

        var etag = await Table.UpsertRow(new ReminderEntry { GrainId = id, ReminderName = "r", StartAt = startAt, Period = TimeSpan.FromDays(40) }, Cancel);

        var row = await Table.ReadRow(id, "r", Cancel);
        Assert.NotNull(row);
        Assert.Equal(id, row.GrainId);
        Assert.Equal(startAt, row.StartAt);
        Assert.Equal(DateTimeKind.Utc, row.StartAt.Kind);
        Assert.Equal(TimeSpan.FromDays(40), row.Period);
        Assert.Equal(etag, row.ETag);
    }

    [Fact]
    public async Task RemoveRow_WithAnOldETag_IsRefusedAndTheCurrentOneRemovesIt()
    {
        var id = GrainId.Create("etag", "a");
        var first = await Table.UpsertRow(Entry(id, "r"), Cancel);
        var second = await Table.UpsertRow(Entry(id, "r"), Cancel);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotEqual(first, second);

        Assert.False(await Table.RemoveRow(id, "r", first, Cancel));
        Assert.NotNull(await Table.ReadRow(id, "r", Cancel));

        Assert.True(await Table.RemoveRow(id, "r", second, Cancel));
        Assert.Null(await Table.ReadRow(id, "r", Cancel));
        Assert.False(await Table.RemoveRow(id, "r", second, Cancel));

        // Registered again, it gets a new ETag: a handle from before the removal cannot remove it.
        var third = await Table.UpsertRow(Entry(id, "r"), Cancel);
        Assert.NotEqual(second, third);
        Assert.False(await Table.RemoveRow(id, "r", second, Cancel));
        Assert.NotNull(await Table.ReadRow(id, "r", Cancel));
    }

    [Fact]
    public async Task ReadRowsAndClear_RowsOfAnotherService_AreNeitherSeenNorDeleted()
    {
        var id = GrainId.Create("service", "a");
        await Table.UpsertRow(Entry(id, "ours"), Cancel);
        await ExecuteAsync(
            "INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, grain_hash, start_time, period_ms, version) " +
            "VALUES ('another-service', $grain, 'theirs', $hash, '2026-12-01 10:00:00', 60000, 1)",
            ("$grain", id.ToString()),
            ("$hash", unchecked((int)id.GetUniformHashCode())));

        Assert.Equal(["ours"], (await Table.ReadRows(id, Cancel)).Reminders.Select(r => r.ReminderName));
        Assert.Equal(["ours"], (await Table.ReadRows(0u, 0u, Cancel)).Reminders.Select(r => r.ReminderName));
        Assert.Null(await Table.ReadRow(id, "theirs", Cancel));

        await Table.TestOnlyClearTable(Cancel);

        Assert.Empty((await Table.ReadRows(0u, 0u, Cancel)).Reminders);
        Assert.Equal(1L, await ExecuteAsync("SELECT COUNT(*) FROM orleans_reminders WHERE service_id = 'another-service'"));
    }

    private static ReminderEntry Entry(GrainId id, string name) => new()
    {
        GrainId = id,
        ReminderName = name,
        StartAt = new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc),
        Period = TimeSpan.FromMinutes(1),
    };

    /// <summary>The contract: hash in (begin, end] on the ring; begin at or past end wraps, begin = end is everything.</summary>
    private static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private async Task<object?> ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = directory.File("agentgrains.db"), Pooling = false }.ToString());
        await connection.OpenAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteScalarAsync(Cancel);
    }
}
