using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

/// <summary>One group commit: the statements of many writes between BEGIN and COMMIT, sent as one round trip.</summary>
/// <remarks>
/// PostgreSQL runs the statements in order and, at the first error, skips the rest up to the end of
/// the batch (COMMIT included), leaving the transaction aborted; <see cref="Find"/> names the write
/// that failed. Statements that return rows are read in order as they arrive, each by the reader its
/// write gave.
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
    /// <param name="returnsRows">Whether the statement returns a result set (a SELECT, a RETURNING clause).</param>
    /// <param name="readRow">Reads the first row, if there is one.</param>
    /// <param name="conflict">The message of the <see cref="InconsistentStateException"/> raised when this statement's condition fails.</param>
    public NpgsqlBatchCommand Add(string sql, bool returnsRows = false, Action<NpgsqlDataReader>? readRow = null, string? conflict = null)
    {
        var command = new NpgsqlBatchCommand(sql);
        batch.BatchCommands.Add(command);
        statements.Add(new Statement(Owner, returnsRows || readRow is not null, readRow, conflict));
        return command;
    }

    /// <summary>Commits: sends everything, reads every result set, and throws the first error.</summary>
    public async Task ExecuteAsync(CancellationToken cancellationToken)
    {
        Owner = null;
        Add("COMMIT");
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        // The reader starts on the first result set; statements without one (INSERT, BEGIN) are passed over.
        var first = true;
        foreach (var statement in statements)
        {
            if (!statement.ReturnsRows)
            {
                continue;
            }

            if (!first && !await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("A PostgreSQL batch returned fewer result sets than it has queries.");
            }

            first = false;
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && statement.ReadRow is { } read)
            {
                try
                {
                    read(reader);
                }
                catch (Exception ex) when (ex is InvalidCastException or FormatException or ArgumentException)
                {
                    // Only this write fails; the batch goes on so that what the server commits and what callers hear agree.
                    statement.Owner!.SetError(new StorageException($"A stored row could not be read: {ex.Message}", isTransient: false, ex));
                }
            }
        }

        // Errors of the statements after the last result set (and of COMMIT) surface here.
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    /// <summary>The write a failed statement belongs to and the conflict message it declared.</summary>
    public (PostgresWrite? Owner, string? Conflict) Find(NpgsqlBatchCommand? command)
    {
        var index = command is null ? -1 : batch.BatchCommands.IndexOf(command);
        return index < 0 ? (null, null) : (statements[index].Owner, statements[index].Conflict);
    }

    public ValueTask DisposeAsync() => batch.DisposeAsync();

    private sealed record Statement(PostgresWrite? Owner, bool ReturnsRows, Action<NpgsqlDataReader>? ReadRow, string? Conflict);
}
