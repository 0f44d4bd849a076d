using AgentGrains.Runtime.Cluster;
using AgentGrains.Runtime.Membership;

namespace AgentGrains.Runtime.Storage.Postgres;

internal sealed partial class PostgresGrainStorage : IOwnershipStorage
{
    public Task<ClaimResult> TryClaimAsync(GrainId grain, string siloId, TimeSpan deathTimeout, CancellationToken cancellationToken)
    {
        var id = grain.ToString();
        long? epoch = null;
        string? owner = null;
        string? status = null;
        return Writer(grain).Enqueue(
            batch =>
            {
                (epoch, owner, status) = (null, null, null);
                batch.Add(queries.BuryPreviousOwner).Parameters.Text(id).Text(siloId).Interval(deathTimeout);
                batch.Add(queries.TryClaim, readRow: r => epoch = r.GetInt64(0)).Parameters.Text(id).Text(siloId).Interval(deathTimeout);
                batch.Add(queries.ClaimRefusal, readRow: r =>
                {
                    owner = r.IsDBNull(0) ? null : r.GetString(0);
                    status = r.IsDBNull(1) ? null : r.GetString(1);
                }).Parameters.Text(id).Text(siloId).Interval(deathTimeout);
            },
            () => epoch is { } claimed ? ClaimResult.Claimed(claimed)
                : owner is not null ? ClaimResult.OwnedBy(owner)
                : status is not null && status != SiloStates.Active ? throw new SiloUnavailableException($"Silo {siloId} is {status}; it claims no grains.")
                // The owner's heartbeat was renewed between the two statements: a retry sees who owns it.
                : throw new StorageException($"Claiming {id} raced with a heartbeat of its owner; retry.", isTransient: true));
    }

    public async Task<string?> ReadOwnerAsync(GrainId grain, TimeSpan deathTimeout, CancellationToken cancellationToken)
    {
        string? owner = null;
        await ReadAsync(queries.ReadOwner, p => p.Text(grain.ToString()).Interval(deathTimeout), r => owner = r.GetString(0), cancellationToken).ConfigureAwait(false);
        return owner;
    }
}
