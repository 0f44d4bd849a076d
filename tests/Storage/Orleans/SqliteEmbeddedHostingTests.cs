using AgentGrains.Storage;
using AgentGrains.Storage.Orleans.Sqlite;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AgentGrains.Tests.Storage.Orleans;

/// <summary>What <c>UseEmbeddedSqlite</c> does to the file before Orleans uses it, and how its connections share it.</summary>
[Trait("Provider", "Sqlite")]
public sealed class SqliteEmbeddedHostingTests : IDisposable
{
    private readonly TempDirectory directory = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => directory.Dispose();

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task UseEmbeddedSqlite_PathInAMissingDirectory_CreatesTheFileInWalModeWithEveryStatement()
    {
        var path = Path.Combine(directory.Path, "data", "nested", "agentgrains.db");

        await using (await SqliteOrleansCluster.StartAsync(path, Guid.NewGuid().ToString("N")))
        {
        }

        Assert.True(File.Exists(path), $"{path} was created");
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(Cancel);
        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
        Assert.Equal(8L, await ScalarAsync(connection, "SELECT MAX(version) FROM schema_version"));
        Assert.Equal(
            "ClearStorageKey,DeleteReminderRowKey,DeleteReminderRowsKey,ReadFromStorageKey,ReadRangeRows1Key,ReadRangeRows2Key," +
            "ReadReminderRowKey,ReadReminderRowsKey,UpsertReminderRowKey,WriteToStorageKey",
            await ScalarAsync(connection, "SELECT group_concat(QueryKey, ',') FROM (SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey)"));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task UseEmbeddedSqlite_EmptyPath_SiloRefusesToStartAndSaysHowToFixIt()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => SqliteOrleansCluster.StartAsync(" ", Guid.NewGuid().ToString("N")));

        Assert.Contains("Storage:Path is empty; set it to a writable file path", failure.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData(true, 2L)]
    [InlineData(false, 1L)]
    public async Task OpenConnection_EachOpen_WaitsThirtySecondsForLocksAndFlushesAsConfigured(bool flushEachCommit, long synchronous)
    {
        var options = new StorageOptions { Path = directory.File("pragmas.db"), FlushEachCommit = flushEachCommit };
        await using var dataSource = new SqliteOrleansDataSource(options);

        // Twice: the second connection comes from the pool, and the settings belong to a connection.
        for (var open = 0; open < 2; open++)
        {
            await using var connection = (SqliteConnection)await dataSource.OpenConnectionAsync(Cancel);
            Assert.Equal(30_000L, await ScalarAsync(connection, "PRAGMA busy_timeout"));
            Assert.Equal(synchronous, await ScalarAsync(connection, "PRAGMA synchronous"));
        }
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Cancel);
    }
}
