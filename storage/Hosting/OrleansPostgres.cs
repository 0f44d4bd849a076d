using AgentGrains.Storage.Migrations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentGrains.Storage.Hosting;

/// <summary>
/// The PostgreSQL connection Orleans' ADO.NET providers share in one process, and the one-time
/// migration of their schema.
/// </summary>
/// <remarks>
/// <para>One data source means one connection pool for membership, reminders, grain state and the
/// migrator. Its connection string names the configured schema as the search path: the providers read
/// their statements with a fixed, unqualified <c>SELECT ... FROM OrleansQuery</c>, so the schema must be
/// the one searched (every statement in the table names the schema itself).</para>
/// <para>The providers are given the data source rather than a connection string, so the password never
/// reaches them: Npgsql leaves it out of a data source's <see cref="NpgsqlDataSource.ConnectionString"/>,
/// which is what they log.</para>
/// </remarks>
internal sealed partial class OrleansPostgres : IAsyncDisposable
{
    /// <summary>The ADO.NET invariant name the providers know Npgsql by.</summary>
    public const string Invariant = "Npgsql";

    private readonly ILogger<OrleansPostgres> logger;
    private readonly SemaphoreSlim migrationGate = new(1, 1);
    private volatile bool migrated;

    public OrleansPostgres(IOptions<StorageOptions> options, ILogger<OrleansPostgres> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Reading Value validates the options first, so a bad connection string fails here with the
        // validator's message rather than inside a provider.
        var storage = options.Value;
        this.logger = logger;
        Schema = storage.Schema;
        var builder = new NpgsqlConnectionStringBuilder(storage.ConnectionString)
        {
            SearchPath = storage.Schema,
            // Orleans passes UTC times. Should one ever arrive without a kind, Npgsql sends it as a
            // timestamp without time zone, which PostgreSQL reads in the session's zone: UTC makes
            // that reading right whatever the server's default zone is.
            Timezone = "UTC",
        };
        DataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <summary>The configured schema holding the providers' tables.</summary>
    public string Schema { get; }

    /// <summary>The data source given to every provider.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Applies the migrations once in this process; later calls return at once.</summary>
    /// <remarks>
    /// A failed attempt is not remembered, so a client whose connection retry filter retries also
    /// retries the migration. Processes starting together are serialized by the migrator's advisory lock.
    /// </remarks>
    /// <exception cref="StorageException">The server refused or could not be reached.</exception>
    public async Task EnsureMigratedAsync(CancellationToken cancellationToken)
    {
        if (migrated)
        {
            return;
        }

        await migrationGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!migrated)
            {
                await PostgresMigrator.MigrateAsync(DataSource, Schema, logger, cancellationToken).ConfigureAwait(false);
                migrated = true;
                LogSchemaReady(logger, Schema);
            }
        }
        finally
        {
            migrationGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync().ConfigureAwait(false);
        migrationGate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "PostgreSQL schema {Schema} is migrated for Orleans' providers")]
    private static partial void LogSchemaReady(ILogger logger, string schema);
}
