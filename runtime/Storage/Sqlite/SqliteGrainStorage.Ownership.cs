using AgentGrains.Runtime.Cluster;

namespace AgentGrains.Runtime.Storage.Sqlite;

internal sealed partial class SqliteGrainStorage : IOwnershipStorage
{
    public Task<ClaimResult> TryClaimAsync(GrainId grain, string siloId, TimeSpan deathTimeout, CancellationToken cancellationToken)
    {
        var id = grain.ToString();
        var timeout = (long)deathTimeout.TotalMilliseconds;
        return Writer.Enqueue(w =>
        {
            // One writer: the check and the claim below cannot interleave with another claim.
            var owner = w.Command($"""
                SELECT a.silo_id FROM activations a JOIN silos s ON s.silo_id = a.silo_id
                WHERE a.grain_id = $g AND a.silo_id <> $s AND s.status <> 'dead' AND s.heartbeat_at >= {DbNow} - $t
                """);
            owner.Parameters.AddWithValue("$g", id);
            owner.Parameters.AddWithValue("$s", siloId);
            owner.Parameters.AddWithValue("$t", timeout);
            if (owner.ExecuteScalar() is string live)
            {
                return ClaimResult.OwnedBy(live);
            }

            var self = w.Command("SELECT status FROM silos WHERE silo_id = $s");
            self.Parameters.AddWithValue("$s", siloId);
            if (self.ExecuteScalar() is string status && status != Membership.SiloStates.Active)
            {
                throw new SiloUnavailableException($"Silo {siloId} is {status}; it claims no grains.");
            }

            // Taking a grain from a silo that stopped heartbeating declares that silo dead in the same
            // transaction: once it has lost a grain it must never come back as a live member, so a
            // paused process that wakes up finds itself dead at its next heartbeat and stops.
            var bury = w.Command($"""
                UPDATE silos SET status = 'dead'
                WHERE status <> 'dead' AND heartbeat_at < {DbNow} - $t
                  AND silo_id = (SELECT silo_id FROM activations WHERE grain_id = $g AND silo_id <> $s)
                """);
            bury.Parameters.AddWithValue("$g", id);
            bury.Parameters.AddWithValue("$s", siloId);
            bury.Parameters.AddWithValue("$t", timeout);
            bury.ExecuteNonQuery();

            var next = w.Command("UPDATE counters SET value = value + 1 WHERE name = 'epoch' RETURNING value");
            var epoch = (long)next.ExecuteScalar()!;
            var upsert = w.Command($"""
                INSERT INTO activations (grain_id, silo_id, epoch, activated_at) VALUES ($g, $s, $e, {DbNow})
                ON CONFLICT (grain_id) DO UPDATE SET silo_id = excluded.silo_id, epoch = excluded.epoch, activated_at = excluded.activated_at
                """);
            upsert.Parameters.AddWithValue("$g", id);
            upsert.Parameters.AddWithValue("$s", siloId);
            upsert.Parameters.AddWithValue("$e", epoch);
            upsert.ExecuteNonQuery();
            return ClaimResult.Claimed(epoch);
        });
    }

    public async Task<string?> ReadOwnerAsync(GrainId grain, TimeSpan deathTimeout, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT a.silo_id FROM activations a JOIN silos s ON s.silo_id = a.silo_id
            WHERE a.grain_id = $g AND s.status <> 'dead' AND s.heartbeat_at >= {DbNow} - $t
            """;
        command.Parameters.AddWithValue("$g", grain.ToString());
        command.Parameters.AddWithValue("$t", (long)deathTimeout.TotalMilliseconds);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }
}
