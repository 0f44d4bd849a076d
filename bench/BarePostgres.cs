using Npgsql;

namespace AgentGrains.Bench;

/// <summary>The floor on PostgreSQL: a one-row insert per transaction, each caller on its own pooled connection.</summary>
internal sealed class BarePostgres : IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;

    private BarePostgres(NpgsqlDataSource dataSource) => this.dataSource = dataSource;

    public static async Task<BarePostgres> CreateAsync(string connectionString, string schema)
    {
        // Prepared once per connection, as the provider's statements are.
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.MaxAutoPrepare = 8;
        builder.ConnectionStringBuilder.AutoPrepareMinUsages = 1;
        builder.ConnectionStringBuilder.SearchPath = schema;
        builder.ConnectionStringBuilder.MaxPoolSize = 100;
        var bare = new BarePostgres(builder.Build());
        await using var create = bare.dataSource.CreateCommand(
            $"CREATE SCHEMA IF NOT EXISTS \"{schema}\"; CREATE TABLE IF NOT EXISTS \"{schema}\".bare (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text NOT NULL)");
        await create.ExecuteNonQueryAsync();
        return bare;
    }

    /// <summary>One autocommit insert: PostgreSQL runs concurrent callers in parallel and groups their WAL flushes.</summary>
    public async Task CommitAsync()
    {
        await using var command = dataSource.CreateCommand("INSERT INTO bare (payload) VALUES ($1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "{\"count\":1}" });
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
