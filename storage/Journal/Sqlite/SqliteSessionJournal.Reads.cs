using Microsoft.Data.Sqlite;

namespace AgentGrains.Storage.Journal.Sqlite;

internal sealed partial class SqliteSessionJournal
{
    private const string ReadHeadSql = $"SELECT version, payload FROM grain_state WHERE grain_id = $g AND name = '{JournalLayout.HeadName}'";

    // Positions have no gaps, so a stream's length is its last position + 1: one step down the
    // primary key (grain_id, stream, seq) from its end, however long the stream.
    private const string ReadLengthSql = "SELECT seq + 1 FROM grain_log WHERE grain_id = $g AND stream = $s ORDER BY seq DESC LIMIT 1";

    private const string ReadRowsSql = "SELECT payload FROM grain_log WHERE grain_id = $g AND stream = $s AND seq >= $f ORDER BY seq LIMIT $n";

    private const string FindMessageSql = "SELECT request, outcome FROM message_keys WHERE grain_id = $g AND key = $k";

    // The terms match the partial indexes of migration 0007 word for word, which is how SQLite picks
    // them: each page is one range scan from the cursor. An empty string sorts before every id.
    private const string ListSessionsSql = $"""
        SELECT grain_id, version, payload, label, updated_at FROM grain_state
        WHERE name = '{JournalLayout.HeadName}' AND grain_id > $a ORDER BY grain_id LIMIT $n
        """;

    private const string ListTopSessionsSql = $"""
        SELECT grain_id, version, payload, label, updated_at FROM grain_state
        WHERE name = '{JournalLayout.HeadName}' AND instr(grain_id, '{JournalLayout.DerivedMark}') = 0 AND grain_id > $a ORDER BY grain_id LIMIT $n
        """;

    private const string ListLabelSql = $"""
        SELECT grain_id, version, payload, label, updated_at FROM grain_state
        WHERE name = '{JournalLayout.HeadName}' AND label = $l AND grain_id > $a ORDER BY grain_id LIMIT $n
        """;

    private const string ListTopLabelSql = $"""
        SELECT grain_id, version, payload, label, updated_at FROM grain_state
        WHERE name = '{JournalLayout.HeadName}' AND instr(grain_id, '{JournalLayout.DerivedMark}') = 0 AND label = $l AND grain_id > $a ORDER BY grain_id LIMIT $n
        """;

    /// <inheritdoc />
    public async Task<JournalHead> LoadAsync(string sessionId, IReadOnlyList<string> streams, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(streams);
        await ReadyAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            // One read transaction, so the lengths are those of the head read with them (WAL gives
            // it a snapshot at its first read) even while the writer commits.
            await using var transaction = connection.BeginTransaction(deferred: true);
            long version = 0;
            string? state = null;
            await using (var head = connection.CreateCommand())
            {
                head.Transaction = transaction;
                head.CommandText = ReadHeadSql;
                head.Parameters.AddWithValue("$g", sessionId);
                await using var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    version = reader.GetInt64(0);
                    state = reader.GetString(1);
                }
            }

            var lengths = new Dictionary<string, long>(streams.Count, StringComparer.Ordinal);
            await using (var length = connection.CreateCommand())
            {
                length.Transaction = transaction;
                length.CommandText = ReadLengthSql;
                var session = length.Parameters.AddWithValue("$g", sessionId);
                var stream = length.Parameters.Add("$s", SqliteType.Text);
                foreach (var name in streams)
                {
                    ArgumentNullException.ThrowIfNull(name, nameof(streams));
                    stream.Value = name;
                    lengths[name] = await length.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long next ? next : 0;
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new JournalHead(version, state, lengths);
        }
        catch (SqliteException ex)
        {
            throw ReadFailed(ex);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ReadAsync(string sessionId, string stream, long from, int maxCount, CancellationToken cancellationToken)
    {
        JournalArguments.ValidateRead(sessionId, stream, from, maxCount);
        await ReadyAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = ReadRowsSql;
            command.Parameters.AddWithValue("$g", sessionId);
            command.Parameters.AddWithValue("$s", stream);
            command.Parameters.AddWithValue("$f", from);
            command.Parameters.AddWithValue("$n", maxCount);
            var rows = new List<string>(Math.Min(maxCount, 256));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(reader.GetString(0));
            }

            return rows;
        }
        catch (SqliteException ex)
        {
            throw ReadFailed(ex);
        }
    }

    /// <inheritdoc />
    public async Task<MessageRecord?> FindMessageAsync(string sessionId, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(key);
        await ReadyAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = FindMessageSql;
            command.Parameters.AddWithValue("$g", sessionId);
            command.Parameters.AddWithValue("$k", key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new MessageRecord(key, reader.GetString(0), reader.GetString(1))
                : null;
        }
        catch (SqliteException ex)
        {
            throw ReadFailed(ex);
        }
    }

    /// <inheritdoc />
    public async Task<JournalSessionPage> ListAsync(JournalListQuery query, CancellationToken cancellationToken)
    {
        JournalArguments.ValidateList(query);
        await ReadyAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = (query.Label, query.IncludeDerived) switch
            {
                (null, true) => ListSessionsSql,
                (null, false) => ListTopSessionsSql,
                (_, true) => ListLabelSql,
                (_, false) => ListTopLabelSql,
            };
            command.Parameters.AddWithValue("$a", query.After ?? string.Empty);
            // One row more than asked: it only tells whether a next page exists.
            command.Parameters.AddWithValue("$n", query.Limit + 1);
            if (query.Label is not null)
            {
                command.Parameters.AddWithValue("$l", query.Label);
            }

            var rows = new List<JournalSession>(query.Limit + 1);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new JournalSession(
                    reader.GetString(0),
                    reader.GetInt64(1),
                    reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
            }

            return JournalArguments.Page(rows, query.Limit);
        }
        catch (SqliteException ex)
        {
            throw ReadFailed(ex);
        }
    }
}
