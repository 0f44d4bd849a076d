namespace AgentGrains.Runtime.Persistence;

/// <summary>A named piece of a grain's durable state, injected into the grain's constructor.</summary>
/// <typeparam name="TState">A JSON-serializable class; keep it small (history belongs in an <see cref="IPersistentLog{T}"/>).</typeparam>
/// <remarks>
/// <para>Inside a durable turn, <see cref="WriteStateAsync"/> stages the write: it commits in the
/// same transaction as the message's completion, so the state and "this message was processed"
/// can never disagree. If the turn throws, nothing it staged is written and the activation is
/// reset from storage.</para>
/// <para>Outside a durable turn (activation, read-only calls) the write commits at once.</para>
/// <para>Every write is conditioned on the version read (optimistic concurrency) and on the
/// activation's ownership epoch.</para>
/// </remarks>
public interface IPersistentState<TState>
    where TState : class, new()
{
    /// <summary>The current state; a new <typeparamref name="TState"/> if none is stored.</summary>
    TState State { get; set; }

    /// <summary>The stored version this state was read at, or <c>null</c> if nothing is stored.</summary>
    string? Etag { get; }

    /// <summary>Whether a row for this state exists in storage.</summary>
    bool RecordExists { get; }

    /// <summary>Re-reads the state from storage, discarding unsaved changes.</summary>
    Task ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes <see cref="State"/> (staged until the end of a durable turn).</summary>
    Task WriteStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the stored state and resets <see cref="State"/> (staged like a write).</summary>
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}
