namespace AgentGrains.Runtime.Storage;

/// <summary>What the runtime needs from a database: ownership, state, logs and the durable inbox.</summary>
/// <remarks>
/// Every provider keeps the same invariants: <see cref="EnqueueAsync"/> returns only after the
/// message row is durable; a message is completed at most once; <see cref="CommitAsync"/> writes
/// a turn's completion, state writes and log appends in one transaction, and only if the
/// writer still holds the grain's ownership epoch and every state is still at the version it
/// read. Writes may be batched (group commit) but each keeps its own outcome.
/// </remarks>
internal interface IGrainStorage : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Gives up ownership if <paramref name="epoch"/> is still the current one.</summary>
    Task ReleaseAsync(GrainId grain, long epoch, CancellationToken cancellationToken);

    /// <summary>Adds a message to the grain's inbox, or finds the existing one with the same idempotency key.</summary>
    Task<EnqueueResult> EnqueueAsync(InboxMessage message, CancellationToken cancellationToken);

    /// <summary>Commits one turn atomically.</summary>
    /// <exception cref="InconsistentStateException">The epoch or a state version moved on; nothing was written.</exception>
    Task<CommitResult> CommitAsync(TurnCommit commit, CancellationToken cancellationToken);

    /// <summary>Reads one named state of a grain.</summary>
    Task<StoredState?> ReadStateAsync(GrainId grain, string name, CancellationToken cancellationToken);

    /// <summary>The number of entries in a grain's log stream.</summary>
    Task<long> ReadLogCountAsync(GrainId grain, string stream, CancellationToken cancellationToken);

    /// <summary>Reads log entries (JSON) in sequence order.</summary>
    Task<IReadOnlyList<string>> ReadLogAsync(GrainId grain, string stream, long fromSequence, int maxCount, CancellationToken cancellationToken);

    /// <summary>The grain's messages not yet completed, in inbox order.</summary>
    Task<IReadOnlyList<InboxRecord>> ReadPendingAsync(GrainId grain, CancellationToken cancellationToken);

    /// <summary>Grains that have messages not yet completed.</summary>
    Task<IReadOnlyList<GrainId>> ReadGrainsWithPendingAsync(int maxCount, CancellationToken cancellationToken);

    /// <summary>One message by its grain and idempotency key.</summary>
    Task<InboxRecord?> ReadMessageAsync(GrainId grain, string idempotencyKey, CancellationToken cancellationToken);
}
