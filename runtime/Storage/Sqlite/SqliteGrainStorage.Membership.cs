using AgentGrains.Runtime.Membership;

namespace AgentGrains.Runtime.Storage.Sqlite;

internal sealed partial class SqliteGrainStorage : IMembershipStorage
{
    // The database's clock in milliseconds since 1970 (julianday works in every SQLite version).
    private const string DbNow = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

    public Task RegisterAsync(string siloId, string address, CancellationToken cancellationToken) =>
        Writer.Enqueue(w =>
        {
            var insert = w.Command($"""
                INSERT INTO silos (silo_id, address, started_at, heartbeat_at, status, activations)
                VALUES ($s, $a, {DbNow}, {DbNow}, 'active', 0)
                ON CONFLICT (silo_id) DO UPDATE SET address = excluded.address, heartbeat_at = excluded.heartbeat_at, status = 'active'
                """);
            insert.Parameters.AddWithValue("$s", siloId);
            insert.Parameters.AddWithValue("$a", address);
            insert.ExecuteNonQuery();

            // Two live processes cannot serve one address, so an older silo registered at this
            // address is a previous incarnation that died: its grains are free at once, instead
            // of after the death timeout (a restarted embedded silo resumes immediately).
            var previous = w.Command("UPDATE silos SET status = 'dead' WHERE address = $a AND silo_id <> $s AND status <> 'dead'");
            previous.Parameters.AddWithValue("$s", siloId);
            previous.Parameters.AddWithValue("$a", address);
            return previous.ExecuteNonQuery();
        });

    public Task<bool> HeartbeatAsync(string siloId, int activations, CancellationToken cancellationToken) =>
        Writer.Enqueue(w =>
        {
            var update = w.Command($"UPDATE silos SET heartbeat_at = {DbNow}, activations = $n WHERE silo_id = $s AND status <> 'dead'");
            update.Parameters.AddWithValue("$s", siloId);
            update.Parameters.AddWithValue("$n", activations);
            return update.ExecuteNonQuery() == 1;
        });

    public Task SetStatusAsync(string siloId, string status, CancellationToken cancellationToken) =>
        Writer.Enqueue(w =>
        {
            var update = w.Command("UPDATE silos SET status = $st WHERE silo_id = $s");
            update.Parameters.AddWithValue("$s", siloId);
            update.Parameters.AddWithValue("$st", status);
            return update.ExecuteNonQuery();
        });

    public Task<IReadOnlyList<string>> DeclareDeadAsync(TimeSpan deathTimeout, CancellationToken cancellationToken) =>
        Writer.Enqueue<IReadOnlyList<string>>(w =>
        {
            var update = w.Command($"UPDATE silos SET status = 'dead' WHERE status <> 'dead' AND heartbeat_at < {DbNow} - $t RETURNING silo_id");
            update.Parameters.AddWithValue("$t", (long)deathTimeout.TotalMilliseconds);
            var dead = new List<string>();
            using var reader = update.ExecuteReader();
            while (reader.Read())
            {
                dead.Add(reader.GetString(0));
            }

            return dead;
        });

    public async Task<IReadOnlyList<SiloInfo>> ReadSilosAsync(TimeSpan deathTimeout, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT silo_id, address, started_at, heartbeat_at, activations,
                   CASE WHEN status <> 'dead' AND heartbeat_at < {DbNow} - $t THEN 'dead' ELSE status END
            FROM silos ORDER BY started_at, silo_id
            """;
        command.Parameters.AddWithValue("$t", (long)deathTimeout.TotalMilliseconds);
        var silos = new List<SiloInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            silos.Add(new SiloInfo(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.GetInt32(4)));
        }

        return silos;
    }
}
