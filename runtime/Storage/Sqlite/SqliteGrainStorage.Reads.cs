using Microsoft.Data.Sqlite;

namespace AgentGrains.Runtime.Storage.Sqlite;

internal sealed partial class SqliteGrainStorage
{
    private const string SelectMessageSql = """
        SELECT id, grain_id, idempotency_key, method, arguments, traceparent, status, result, error, reply_to
        FROM inbox WHERE grain_id = $g AND idempotency_key = $k
        """;

    public async Task<StoredState?> ReadStateAsync(GrainId grain, string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, payload FROM grain_state WHERE grain_id = $g AND name = $n";
        command.Parameters.AddWithValue("$g", grain.ToString());
        command.Parameters.AddWithValue("$n", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new StoredState(reader.GetInt64(0), reader.GetString(1))
            : null;
    }

    public async Task<long> ReadLogCountAsync(GrainId grain, string stream, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // Sequences have no gaps, so the count is max + 1; the primary key answers it without a scan.
        command.CommandText = "SELECT COALESCE(MAX(seq) + 1, 0) FROM grain_log WHERE grain_id = $g AND stream = $s";
        command.Parameters.AddWithValue("$g", grain.ToString());
        command.Parameters.AddWithValue("$s", stream);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<IReadOnlyList<string>> ReadLogAsync(GrainId grain, string stream, long fromSequence, int maxCount, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM grain_log WHERE grain_id = $g AND stream = $s AND seq >= $f ORDER BY seq LIMIT $n";
        command.Parameters.AddWithValue("$g", grain.ToString());
        command.Parameters.AddWithValue("$s", stream);
        command.Parameters.AddWithValue("$f", fromSequence);
        command.Parameters.AddWithValue("$n", maxCount);
        var entries = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(reader.GetString(0));
        }

        return entries;
    }

    public async Task<IReadOnlyList<InboxRecord>> ReadPendingAsync(GrainId grain, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, grain_id, idempotency_key, method, arguments, traceparent, status, result, error, reply_to
            FROM inbox WHERE grain_id = $g AND status = 0 ORDER BY id
            """;
        command.Parameters.AddWithValue("$g", grain.ToString());
        var records = new List<InboxRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(ReadInbox(reader));
        }

        return records;
    }

    public async Task<IReadOnlyList<GrainId>> ReadGrainsWithPendingAsync(int maxCount, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT grain_id FROM inbox WHERE status = 0 LIMIT $n";
        command.Parameters.AddWithValue("$n", maxCount);
        var grains = new List<GrainId>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            grains.Add(GrainId.Parse(reader.GetString(0)));
        }

        return grains;
    }

    public async Task<InboxRecord?> ReadMessageAsync(GrainId grain, string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SelectMessageSql;
        command.Parameters.AddWithValue("$g", grain.ToString());
        command.Parameters.AddWithValue("$k", idempotencyKey);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadInbox(reader) : null;
    }

    private static InboxRecord ReadInbox(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        GrainId.Parse(reader.GetString(1)),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        (InboxStatus)reader.GetInt32(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9));
}
