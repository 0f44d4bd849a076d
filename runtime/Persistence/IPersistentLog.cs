namespace AgentGrains.Runtime.Persistence;

/// <summary>An append-only, durable sequence of entries owned by one grain (conversation history, run journal).</summary>
/// <typeparam name="TEntry">A JSON-serializable entry type.</typeparam>
/// <remarks>
/// Entries are numbered from 0 without gaps. An append is staged and commits with the durable
/// turn that made it, in one transaction with the message's completion; committing a turn
/// writes only the new rows, so the cost of a turn does not grow with the log's length.
/// </remarks>
public interface IPersistentLog<TEntry>
{
    /// <summary>The number of entries, counting those staged in the current turn.</summary>
    long Count { get; }

    /// <summary>Stages <paramref name="entry"/> as entry number <see cref="Count"/> and returns that number.</summary>
    /// <exception cref="InvalidOperationException">Called outside a durable turn.</exception>
    long Append(TEntry entry);

    /// <summary>Reads up to <paramref name="maxCount"/> entries starting at <paramref name="fromSequence"/>, including staged ones.</summary>
    Task<IReadOnlyList<TEntry>> ReadAsync(long fromSequence, int maxCount, CancellationToken cancellationToken = default);
}
