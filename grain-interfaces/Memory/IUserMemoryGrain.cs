using Orleans;
using Orleans.Concurrency;

namespace AgentGrains.GrainInterfaces.Memory;

/// <summary>One user's long-term memory, as people manage it: list the facts, delete one or all. Keyed by user id.</summary>
/// <remarks>
/// Agents remember and recall through the <c>remember</c> and <c>recall</c> tools and the facts
/// injected into agents with memory, on the silo that runs them; this grain is how the gateway
/// reaches the same store. It holds no state: every call reads or writes the store, so a delete is
/// seen by every later context on every silo.
/// </remarks>
[Alias("agentgrains.IUserMemoryGrain")]
public interface IUserMemoryGrain : IGrainWithStringKey
{
    /// <summary>A page of the user's facts, newest first: those with an id below <paramref name="before"/> (0 for the newest), at most <paramref name="limit"/>.</summary>
    [ReadOnly]
    [Alias("ListAsync")]
    Task<MemoryPage> ListAsync(long before, int limit);

    /// <summary>Deletes one of the user's facts; false when the user has no fact with that id.</summary>
    [Alias("DeleteAsync")]
    Task<bool> DeleteAsync(long id);

    /// <summary>Deletes all of the user's facts; returns how many there were.</summary>
    [Alias("DeleteAllAsync")]
    Task<int> DeleteAllAsync();
}

/// <summary>A remembered fact, with where it was told.</summary>
/// <param name="Id">Its id (for <c>DELETE /v1/users/{userId}/memories/{id}</c>).</param>
/// <param name="Text">The fact.</param>
/// <param name="SessionId">The session it was told in.</param>
/// <param name="RunId">The run that remembered it.</param>
/// <param name="Step">The run's step that called <c>remember</c>.</param>
/// <param name="CreatedAt">When it was remembered.</param>
[GenerateSerializer]
[Alias("agentgrains.MemoryEntry")]
public sealed record MemoryEntry(long Id, string Text, string SessionId, string RunId, int Step, DateTimeOffset CreatedAt);

/// <summary>A page of a user's facts, newest first.</summary>
/// <param name="Facts">The facts.</param>
/// <param name="Next">The id to list before for the next (older) page; null on the last page.</param>
[GenerateSerializer]
[Alias("agentgrains.MemoryPage")]
public sealed record MemoryPage(IReadOnlyList<MemoryEntry> Facts, long? Next);
