using Npgsql;

namespace AgentGrains.Storage.Journal.Postgres;

internal sealed partial class PostgresSessionJournal
{
    /// <inheritdoc />
    public async Task<JournalHead> LoadAsync(string sessionId, IReadOnlyList<string> streams, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(streams);
        var names = new string[streams.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = streams[i] ?? throw new ArgumentNullException(nameof(streams), "A stream name is null.");
        }

        long version = 0;
        string? state = null;
        var lengths = new Dictionary<string, long>(names.Length, StringComparer.Ordinal);
        await QueryAsync(
            queries.Load,
            p => p.Text(sessionId).TextArray(names),
            r =>
            {
                if (r.IsDBNull(0))
                {
                    version = r.GetInt64(1);
                    state = r.GetString(2);
                }
                else
                {
                    lengths[r.GetString(0)] = r.GetInt64(1);
                }
            },
            cancellationToken).ConfigureAwait(false);
        return new JournalHead(version, state, lengths);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ReadAsync(string sessionId, string stream, long from, int maxCount, CancellationToken cancellationToken)
    {
        JournalArguments.ValidateRead(sessionId, stream, from, maxCount);
        var rows = new List<string>(Math.Min(maxCount, 256));
        await QueryAsync(
            queries.ReadRows,
            p => p.Text(sessionId).Text(stream).Bigint(from).Bigint(maxCount),
            r => rows.Add(r.GetString(0)),
            cancellationToken).ConfigureAwait(false);
        return rows;
    }

    /// <inheritdoc />
    public async Task<MessageRecord?> FindMessageAsync(string sessionId, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(key);
        MessageRecord? record = null;
        await QueryAsync(
            queries.FindMessage,
            p => p.Text(sessionId).Text(key),
            r => record = new MessageRecord(key, r.GetString(0), r.GetString(1)),
            cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <inheritdoc />
    public async Task<JournalSessionPage> ListAsync(JournalListQuery query, CancellationToken cancellationToken)
    {
        JournalArguments.ValidateList(query);
        var sql = (query.Label, query.IncludeDerived) switch
        {
            (null, true) => queries.ListSessions,
            (null, false) => queries.ListTopSessions,
            (_, true) => queries.ListLabel,
            (_, false) => queries.ListTopLabel,
        };
        var rows = new List<JournalSession>(query.Limit + 1);
        await QueryAsync(
            sql,
            p =>
            {
                // One row more than asked: it only tells whether a next page exists.
                p.Text(query.After ?? string.Empty).Bigint(query.Limit + 1);
                if (query.Label is { } label)
                {
                    p.Text(label);
                }
            },
            r => rows.Add(new JournalSession(
                r.GetString(0),
                r.GetInt64(1),
                r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3),
                r.GetFieldValue<DateTimeOffset>(4))),
            cancellationToken).ConfigureAwait(false);
        return JournalArguments.Page(rows, query.Limit);
    }

    /// <summary>Runs one query on a pooled connection and hands every row to <paramref name="row"/>.</summary>
    private async Task QueryAsync(string sql, Action<NpgsqlParameterCollection> parameters, Action<NpgsqlDataReader> row, CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = dataSource.CreateCommand(sql);
            parameters(command.Parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                row(reader);
            }
        }
        catch (NpgsqlException ex)
        {
            throw new StorageException($"PostgreSQL read of the session journal at {Target} failed: {ex.Message}", ex.IsTransient, ex);
        }
    }
}
