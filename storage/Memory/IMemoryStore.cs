namespace AgentGrains.Storage.Memory;

/// <summary>Long-term memory: the facts each user's agents were told to remember, across sessions.</summary>
/// <remarks>
/// <para>Facts are scoped by user id: no method reads, lists or deletes another user's facts.
/// A fact is written once per (user, key): the key is the <c>remember</c> tool call's idempotency
/// key, so a call invoked again after a crash stores nothing new and returns the first fact.</para>
/// <para>Full-text ranking is the store's own (SQLite FTS5 with bm25, PostgreSQL <c>tsvector</c>
/// with <c>ts_rank_cd</c>); embeddings, when the caller has them, are stored as given and read back
/// for ranking by the caller.</para>
/// </remarks>
public interface IMemoryStore
{
    /// <summary>Stores a fact, once per (<see cref="NewMemoryFact.UserId"/>, <see cref="NewMemoryFact.Key"/>).</summary>
    /// <returns>The stored fact: the new one, or the one the same key stored before (its text unchanged).</returns>
    /// <exception cref="StorageException">The database could not be reached.</exception>
    Task<MemoryFact> RememberAsync(NewMemoryFact fact, CancellationToken cancellationToken);

    /// <summary>The user's facts that share a word with <paramref name="query"/>, best ranked first, at most <paramref name="limit"/>.</summary>
    /// <remarks>Any text is accepted: it is split into words by the store, never parsed as a query language. A query without words finds nothing.</remarks>
    Task<IReadOnlyList<MemoryFact>> SearchAsync(string userId, string query, int limit, CancellationToken cancellationToken);

    /// <summary>The user's facts that have an embedding, newest first, at most <paramref name="limit"/>, with their embeddings.</summary>
    Task<IReadOnlyList<MemoryFact>> ReadEmbeddedAsync(string userId, int limit, CancellationToken cancellationToken);

    /// <summary>A page of the user's facts, newest first: those with an id below <paramref name="before"/> (0 for the newest), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<MemoryFact>> ListAsync(string userId, long before, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes one of the user's facts; false when the user has no fact with that id.</summary>
    Task<bool> DeleteAsync(string userId, long id, CancellationToken cancellationToken);

    /// <summary>Deletes every fact of the user; returns how many there were.</summary>
    Task<int> DeleteAllAsync(string userId, CancellationToken cancellationToken);
}

/// <summary>A fact to remember, with where it was told.</summary>
/// <param name="UserId">Whose fact it is.</param>
/// <param name="Text">The fact, as the agent worded it.</param>
/// <param name="SessionId">The session it was told in.</param>
/// <param name="RunId">The run that remembered it.</param>
/// <param name="Step">The run's step that called <c>remember</c>.</param>
/// <param name="Key">The call's idempotency key: the same key never stores a second fact.</param>
/// <param name="CreatedAt">When it was remembered.</param>
/// <param name="Embedding">Its embedding, when an embedding generator is configured; null otherwise.</param>
public sealed record NewMemoryFact(string UserId, string Text, string SessionId, string RunId, int Step, string Key, DateTimeOffset CreatedAt, float[]? Embedding = null);

/// <summary>A stored fact.</summary>
/// <param name="Id">Its id, unique in the store, increasing with time.</param>
/// <param name="UserId">Whose fact it is.</param>
/// <param name="Text">The fact.</param>
/// <param name="SessionId">The session it was told in.</param>
/// <param name="RunId">The run that remembered it.</param>
/// <param name="Step">The run's step that called <c>remember</c>.</param>
/// <param name="CreatedAt">When it was remembered.</param>
/// <param name="Embedding">Its embedding: read only by <see cref="IMemoryStore.ReadEmbeddedAsync"/>, null elsewhere.</param>
public sealed record MemoryFact(long Id, string UserId, string Text, string SessionId, string RunId, int Step, DateTimeOffset CreatedAt, float[]? Embedding = null);
