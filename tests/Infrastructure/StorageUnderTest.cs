using Microsoft.Data.Sqlite;
using Npgsql;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>The database one test runs against: a fresh SQLite file, or a fresh schema on the shared PostgreSQL server.</summary>
/// <remarks>
/// Tests that run a silo take one of these and pass <see cref="Settings"/> to every host they start,
/// so silos restarted within a test find the same data. <see cref="ScalarAsync"/> and
/// <see cref="ExecuteAsync"/> let the few tests that inspect or damage stored rows do so with the
/// same SQL on either provider (table names unqualified).
/// </remarks>
public abstract class StorageUnderTest : IAsyncDisposable
{
    /// <summary>The <c>Provider</c> trait value of tests on this storage.</summary>
    public abstract string Provider { get; }

    /// <summary>The configuration a silo needs to use this storage.</summary>
    public abstract IReadOnlyDictionary<string, string?> Settings { get; }

    public static StorageUnderTest Sqlite() => new SqliteStorage();

    public static StorageUnderTest Postgres() => new PostgresStorage();

    /// <summary>Prepares the storage (for PostgreSQL: starts the shared server on first use).</summary>
    public abstract Task InitializeAsync();

    /// <summary>Runs a query and returns the first column of the first row.</summary>
    public abstract Task<object?> ScalarAsync(string sql);

    /// <summary>The name to query <paramref name="table"/> by: in PostgreSQL, within the test's schema.</summary>
    public abstract string Table(string table);

    /// <summary>Runs a statement and returns the number of rows it changed.</summary>
    public abstract Task<int> ExecuteAsync(string sql);

    public abstract ValueTask DisposeAsync();

    private sealed class SqliteStorage : StorageUnderTest
    {
        private readonly TempDirectory directory = new();

        public override string Provider => "Sqlite";

        private string DatabasePath => directory.File("grains.db");

        public override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:Path"] = DatabasePath,
            // Tests read their own writes at once; durability on power loss is not what they check.
            ["Storage:FlushEachCommit"] = "false",
        };

        public override Task InitializeAsync() => Task.CompletedTask;

        public override string Table(string table) => table;

        public override async Task<object?> ScalarAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return await command.ExecuteScalarAsync();
        }

        public override async Task<int> ExecuteAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return await command.ExecuteNonQueryAsync();
        }

        public override ValueTask DisposeAsync()
        {
            directory.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<SqliteConnection> OpenAsync()
        {
            var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
            await connection.OpenAsync();
            return connection;
        }
    }

    private sealed class PostgresStorage : StorageUnderTest
    {
        private static int created;
        private string? connectionString;

        // Unique per storage, so tests (and parallel test classes) never see each other's rows.
        private readonly string schema = $"test_{Interlocked.Increment(ref created)}_{Guid.NewGuid():N}";

        public override string Provider => "Postgres";

        public override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSQL",
            ["ConnectionStrings:AgentGrains"] = ConnectionString,
            ["Storage:Schema"] = schema,
        };

        /// <summary>A connection string to the shared server; set by <see cref="InitializeAsync"/>.</summary>
        public string ConnectionString => connectionString ?? throw new InvalidOperationException("InitializeAsync has not run.");

        public string Schema => schema;

        public override string Table(string table) => $"\"{schema}\".{table}";

        public override async Task InitializeAsync()
        {
            var server = await PostgresServer.GetAsync();
            connectionString = server.ConnectionString;
        }

        public override async Task<object?> ScalarAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return await command.ExecuteScalarAsync();
        }

        public override async Task<int> ExecuteAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return await command.ExecuteNonQueryAsync();
        }

        public override async ValueTask DisposeAsync()
        {
            if (connectionString is null)
            {
                return;
            }

            // Leave nothing behind on a server given by AGENTGRAINS_TEST_POSTGRES.
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }

        private async Task<NpgsqlConnection> OpenAsync()
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema, Pooling = false };
            var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            return connection;
        }
    }
}
