using AgentGrains.Storage.Migrations;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentGrains.Storage.Journal.Postgres;

/// <summary>The session journal on PostgreSQL: every table in one schema, one data source, one group-committing writer.</summary>
/// <remarks>
/// <para>Several silos (processes) share one schema. What they must agree on is decided by the
/// database in the writing transaction: the head's version (a conditional UPDATE that raises
/// through <c>ensure()</c>), row positions and message keys (primary keys). Migrations are
/// serialized by the migrator's advisory lock, so journals starting together all start.</para>
/// <para>Commits go through one <see cref="PostgresWriteQueue"/> (one connection); reads use pooled
/// connections of the same data source, so a long group commit never delays a load.</para>
/// </remarks>
internal sealed partial class PostgresSessionJournal : ISessionJournal, IInitializableJournal, IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;
    private readonly string schema;
    private readonly PostgresJournalQueries queries;
    private readonly ILogger<PostgresSessionJournal> logger;
    private readonly JournalStartup startup;
    private PostgresWriteQueue? writer;
    private int disposed;

    public PostgresSessionJournal(StorageOptions options, ILogger<PostgresSessionJournal> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString, nameof(options));
        if (!StorageOptionsValidator.IsSafeSchemaName(options.Schema))
        {
            throw new ArgumentException($"Storage:Schema '{options.Schema}' is not a plain schema name.", nameof(options));
        }

        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var settings = builder.ConnectionStringBuilder;
        // The writer sends the same few statements thousands of times: preparing them once per
        // connection saves the server a parse and plan each. A value set in the connection string wins.
        if (settings.MaxAutoPrepare == 0)
        {
            settings.MaxAutoPrepare = 64;
            settings.AutoPrepareMinUsages = 2;
        }

        // The writer tells which commit of a batch failed from the failed statement.
        settings.IncludeFailedBatchedCommand = true;
        dataSource = builder.Build();
        schema = options.Schema;
        queries = new PostgresJournalQueries(schema);
        this.logger = logger;
        // Host, port, database and schema: never credentials, so it is safe in messages and logs.
        Target = $"postgresql://{settings.Host}:{settings.Port}/{settings.Database ?? settings.Username}/{schema}";
        startup = new JournalStartup(OpenAsync);
    }

    /// <summary>Names the server, database and schema (never credentials).</summary>
    public string Target { get; }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken) => startup.EnsureAsync(cancellationToken);

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PostgresMigrator.MigrateAsync(dataSource, schema, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException ex)
        {
            // The migrator's message names the schema only; say which server too (never the password).
            throw new StorageException($"Could not open the session journal at {Target}: {ex.Message}", ex.IsTransient, ex);
        }

        writer = new PostgresWriteQueue(dataSource, logger);
        LogOpened(logger, Target);
    }

    /// <summary>Waits for the schema to be migrated; throws once the journal is disposed.</summary>
    private async Task<PostgresWriteQueue> ReadyAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        await startup.EnsureAsync(cancellationToken).ConfigureAwait(false);
        return writer!;
    }

    /// <summary>Lets every commit already queued finish, then closes the data source.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await startup.StopAsync().ConfigureAwait(false);
        startup.Dispose();
        if (writer is not null)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }

        await dataSource.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session journal open at {Target}")]
    private static partial void LogOpened(ILogger logger, string target);
}
