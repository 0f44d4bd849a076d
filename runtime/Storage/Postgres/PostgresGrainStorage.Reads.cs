using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

internal sealed partial class PostgresGrainStorage
{
    public async Task<StoredState?> ReadStateAsync(GrainId grain, string name, CancellationToken cancellationToken)
    {
        StoredState? state = null;
        await ReadAsync(
            queries.ReadState,
            c => c.Text(grain.ToString()).Text(name),
            r => state = new StoredState(r.GetInt64(0), r.GetString(1)),
            cancellationToken).ConfigureAwait(false);
        return state;
    }

    public async Task<long> ReadLogCountAsync(GrainId grain, string stream, CancellationToken cancellationToken)
    {
        long count = 0;
        await ReadAsync(queries.ReadLogCount, c => c.Text(grain.ToString()).Text(stream), r => count = r.GetInt64(0), cancellationToken).ConfigureAwait(false);
        return count;
    }

    public async Task<IReadOnlyList<string>> ReadLogAsync(GrainId grain, string stream, long fromSequence, int maxCount, CancellationToken cancellationToken)
    {
        var entries = new List<string>();
        await ReadAsync(
            queries.ReadLog,
            c => c.Text(grain.ToString()).Text(stream).Bigint(fromSequence).Bigint(maxCount),
            r => entries.Add(r.GetString(0)),
            cancellationToken).ConfigureAwait(false);
        return entries;
    }

    public async Task<IReadOnlyList<InboxRecord>> ReadPendingAsync(GrainId grain, CancellationToken cancellationToken)
    {
        var records = new List<InboxRecord>();
        await ReadAsync(queries.ReadPending, c => c.Text(grain.ToString()), r => records.Add(ReadInbox(r)), cancellationToken).ConfigureAwait(false);
        return records;
    }

    public async Task<IReadOnlyList<GrainId>> ReadGrainsWithPendingAsync(int maxCount, CancellationToken cancellationToken)
    {
        var grains = new List<GrainId>();
        await ReadAsync(queries.ReadGrainsWithPending, c => c.Bigint(maxCount), r => grains.Add(GrainId.Parse(r.GetString(0))), cancellationToken).ConfigureAwait(false);
        return grains;
    }

    public async Task<InboxRecord?> ReadMessageAsync(GrainId grain, string idempotencyKey, CancellationToken cancellationToken)
    {
        InboxRecord? record = null;
        await ReadAsync(queries.SelectMessage, c => c.Text(grain.ToString()).Text(idempotencyKey), r => record = ReadInbox(r), cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>Runs one query on a pooled connection and hands every row to <paramref name="row"/>.</summary>
    private async Task ReadAsync(string sql, Action<NpgsqlParameterCollection> parameters, Action<NpgsqlDataReader> row, CancellationToken cancellationToken)
    {
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
            throw new StorageException($"PostgreSQL read failed: {ex.Message}", ex.IsTransient, ex);
        }
    }

    private static InboxRecord ReadInbox(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        GrainId.Parse(reader.GetString(1)),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        (InboxStatus)reader.GetInt16(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9));
}
