using AgentGrains.GrainInterfaces.Memory;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Storage.Memory;
using Orleans;
using Orleans.Concurrency;

namespace AgentGrains.Grains.Memory;

/// <summary>A user's long-term memory for people (list, delete): a stateless worker over the silo's memory store.</summary>
/// <remarks>
/// It holds nothing between calls, so it runs on the silo that calls it (the gateway's entry silo)
/// with no directory entry, and any number of calls for one user run at once: the store is the
/// only state, shared by every silo.
/// </remarks>
[StatelessWorker]
[GrainType("user-memory")]
public sealed class UserMemoryGrain(IMemoryStore store) : Grain, IUserMemoryGrain
{
    /// <summary>The most facts one page may hold.</summary>
    public const int MaxPageSize = 500;

    // The store's key: {tenant}/{user}, or the user alone without a tenant (TenantKeys).
    private string UserId => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public async Task<MemoryPage> ListAsync(long before, int limit)
    {
        UserIds.Validate(TenantKeys.Split(UserId).Id, "userId");
        ArgumentOutOfRangeException.ThrowIfNegative(before);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        // One more than asked for tells whether there is a next page.
        var facts = await store.ListAsync(UserId, before, limit + 1, CancellationToken.None);
        var page = facts.Take(limit).Select(static f => new MemoryEntry(f.Id, f.Text, f.SessionId, f.RunId, f.Step, f.CreatedAt)).ToList();
        return new MemoryPage(page, facts.Count > limit ? page[^1].Id : null);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(long id)
    {
        UserIds.Validate(TenantKeys.Split(UserId).Id, "userId");
        return store.DeleteAsync(UserId, id, CancellationToken.None);
    }

    /// <inheritdoc />
    public Task<int> DeleteAllAsync()
    {
        UserIds.Validate(TenantKeys.Split(UserId).Id, "userId");
        return store.DeleteAllAsync(UserId, CancellationToken.None);
    }
}
