using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

/// <summary>The PostgreSQL storage provider: every table in one schema, group-committing writers, pooled readers.</summary>
/// <remarks>
/// Several silos (processes) share one schema; everything they must agree on is decided by the
/// database: epochs come from a sequence, conditions are checked in the writing transaction, and
/// migrations are serialized by an advisory lock.
/// </remarks>
internal sealed partial class PostgresGrainStorage : IGrainStorage
{
    /// <summary>The SQLSTATE raised by the schema's <c>ensure</c> function when a write's condition fails.</summary>
    public const string ConditionFailed = "AG001";

    // Writes are sharded by grain, so any number of writers keeps each grain's writes in call order.
    // Measured on 2 cores (bench, 64 callers): 1, 2 and 4 writers all gave 6,500-9,000 durable calls/s,
    // inside the run-to-run noise, because client and server already share both cores; one writer is
    // the simplest and batches best. Raise it where the server has cores to spare.
    private const int WriterCount = 1;

    private readonly NpgsqlDataSource dataSource;
    private readonly string schema;
    private readonly PostgresQueries queries;
    private readonly ILogger<PostgresGrainStorage> logger;
    private PostgresWriteQueue[]? writers;

    public PostgresGrainStorage(StorageOptions options, ILogger<PostgresGrainStorage> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!StorageOptionsValidator.IsSafeSchemaName(options.Schema))
        {
            throw new ArgumentException($"Storage:Schema '{options.Schema}' is not a plain schema name.", nameof(options));
        }

        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        // The writers send the same few statements thousands of times: preparing them once saves the
        // server a parse and plan per statement. A value set in the connection string wins.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        // The writers tell which write of a batch failed from the failed statement.
        builder.ConnectionStringBuilder.IncludeFailedBatchedCommand = true;
        dataSource = builder.Build();
        schema = options.Schema;
        queries = new PostgresQueries(schema);
        this.logger = logger;
        var target = builder.ConnectionStringBuilder;
        // Host, port, database and schema: no credentials, so it is safe in messages and as a key.
        ClusterScope = $"postgresql://{target.Host}:{target.Port}/{target.Database ?? target.Username}/{schema}";
    }

    /// <summary>Names the database and schema (never credentials): silos with the same scope form one cluster.</summary>
    public string ClusterScope { get; }

    private string Sql(string sql) => PostgresQueries.Splice(schema, sql);

    /// <summary>The writer of <paramref name="grain"/>: always the same one, so its writes keep their order.</summary>
    private PostgresWriteQueue Writer(GrainId grain)
    {
        var all = writers ?? throw new InvalidOperationException("The PostgreSQL store is not initialized.");
        return all.Length == 1 ? all[0] : all[(int)((uint)grain.GetHashCode() % (uint)all.Length)];
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw new StorageException($"Could not migrate the PostgreSQL schema {ClusterScope}: {ex.Message}", ex.IsTransient, ex);
        }

        writers = [.. Enumerable.Range(0, WriterCount).Select(_ => new PostgresWriteQueue(dataSource, logger))];
    }

    public async ValueTask DisposeAsync()
    {
        if (writers is not null)
        {
            foreach (var writer in writers)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }

            writers = null;
        }

        await dataSource.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration} to {Database}")]
    private static partial void LogMigrationApplied(ILogger logger, string migration, string database);
}
