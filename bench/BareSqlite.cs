using Microsoft.Data.Sqlite;

namespace AgentGrains.Bench;

/// <summary>The floor: a one-row insert per transaction on the same kind of SQLite file, with the same settings.</summary>
internal sealed class BareSqlite : IAsyncDisposable
{
    private readonly SqliteConnection connection;
    private readonly SqliteCommand insert;
    private readonly SemaphoreSlim writer = new(1, 1);

    public BareSqlite(string path, bool flush)
    {
        connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute("PRAGMA journal_mode=WAL");
        Execute(flush ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        Execute("CREATE TABLE IF NOT EXISTS bare (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL)");
        insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO bare (payload) VALUES ($p)";
        insert.Parameters.AddWithValue("$p", "{\"count\":1}");
        insert.Prepare();
    }

    /// <summary>One autocommit insert: SQLite serializes writers, so concurrent clients queue on one lock.</summary>
    public async Task CommitAsync()
    {
        await writer.WaitAsync();
        try
        {
            insert.ExecuteNonQuery();
        }
        finally
        {
            writer.Release();
        }
    }

    private void Execute(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        await insert.DisposeAsync();
        await connection.DisposeAsync();
        writer.Dispose();
    }
}
