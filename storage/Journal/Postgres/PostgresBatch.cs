using Npgsql;

namespace AgentGrains.Storage.Journal.Postgres;

/// <summary>One group commit: the statements of many writes between BEGIN and COMMIT, sent as one round trip.</summary>
/// <remarks>
/// PostgreSQL runs the statements in order and, at the first error, skips the rest up to the end of
/// the batch (COMMIT included), leaving the transaction aborted; <see cref="Find"/> names the write
/// that failed (the data source sets <c>IncludeFailedBatchedCommand</c>). No statement's rows are
/// read back: a condition is checked by the server (<c>ensure()</c>, a unique key) and fails by
/// raising, so a batch either commits whole or names one culprit.
/// </remarks>
internal sealed class PostgresBatch : IAsyncDisposable
{
    private readonly NpgsqlBatch batch;
    private readonly List<Statement> statements = [];

    /// <param name="connection">The writer's connection.</param>
    /// <param name="rollbackFirst">Whether the connection may still hold a transaction aborted by the previous batch.</param>
    public PostgresBatch(NpgsqlConnection connection, bool rollbackFirst)
    {
        batch = new NpgsqlBatch(connection);
        if (rollbackFirst)
        {
            // Outside a transaction this is only a warning, so it is safe whatever state the last batch left.
            Add("ROLLBACK");
        }

        Add("BEGIN");
    }

    /// <summary>The write whose statements are being added.</summary>
    public PostgresWrite? Owner { get; set; }

    /// <summary>Adds a statement of <see cref="Owner"/> (parameters are positional: <c>$1</c>, <c>$2</c>...).</summary>
    /// <param name="sql">One statement.</param>
    /// <param name="conflict">Says what was found taken when this statement's condition fails (built only then).</param>
    public NpgsqlBatchCommand Add(string sql, Func<string>? conflict = null)
    {
        var command = new NpgsqlBatchCommand(sql);
        batch.BatchCommands.Add(command);
        statements.Add(new Statement(Owner, conflict));
        return command;
    }

    /// <summary>Commits: sends everything in one round trip and throws the first error.</summary>
    public async Task ExecuteAsync(CancellationToken cancellationToken)
    {
        Owner = null;
        Add("COMMIT");
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The write a failed statement belongs to and the conflict message it declared.</summary>
    public (PostgresWrite? Owner, Func<string>? Conflict) Find(NpgsqlBatchCommand? command)
    {
        var index = command is null ? -1 : batch.BatchCommands.IndexOf(command);
        return index < 0 ? (null, null) : (statements[index].Owner, statements[index].Conflict);
    }

    public ValueTask DisposeAsync() => batch.DisposeAsync();

    private sealed record Statement(PostgresWrite? Owner, Func<string>? Conflict);
}
