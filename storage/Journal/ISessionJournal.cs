namespace AgentGrains.Storage.Journal;

/// <summary>The durable data of sessions: per session a versioned head, append-only streams and the keys of accepted messages.</summary>
/// <remarks>
/// <para>A session (one grain) commits one <see cref="JournalCommit"/> per step: its new head, the
/// rows it appends and the idempotency records of the messages it accepted, in one transaction,
/// and only if the head is still at <see cref="JournalCommit.ExpectedVersion"/>. A second or stale
/// activation of the same session read an older version, so its commit is refused
/// (<see cref="JournalConflictException"/>) and nothing of it is written.</para>
/// <para>Nothing a commit writes grows with the session: the head is small and bounded by the
/// caller, rows are only inserted, and <see cref="LoadAsync"/> finds a stream's length from its
/// last row, never by counting. Implementations may put commits of many sessions into one
/// transaction (group commit); each commit still succeeds or fails on its own.</para>
/// <para>Storage knows nothing about what the payloads mean: they are opaque text (JSON), stored
/// and returned verbatim. PostgreSQL text cannot hold U+0000; a commit carrying it is refused
/// with a non-transient <see cref="StorageException"/>.</para>
/// <para>A session id is the grain's id: the rows of databases the pre-Orleans runtime wrote are
/// keyed the same way, so their sessions load unchanged.</para>
/// </remarks>
public interface ISessionJournal
{
    /// <summary>Reads a session's head and the length of each of <paramref name="streams"/>.</summary>
    /// <returns>Version 0 and no state for a session that never committed.</returns>
    /// <remarks>The head and the lengths come from one snapshot: the lengths are those of the version returned.</remarks>
    /// <exception cref="StorageException">The database failed.</exception>
    Task<JournalHead> LoadAsync(string sessionId, IReadOnlyList<string> streams, CancellationToken cancellationToken);

    /// <summary>Reads up to <paramref name="maxCount"/> rows of a stream from position <paramref name="from"/> (0-based), in order.</summary>
    /// <exception cref="StorageException">The database failed.</exception>
    Task<IReadOnlyList<string>> ReadAsync(string sessionId, string stream, long from, int maxCount, CancellationToken cancellationToken);

    /// <summary>The record of the message accepted with <paramref name="key"/>, or null if none was.</summary>
    /// <exception cref="StorageException">The database failed.</exception>
    Task<MessageRecord?> FindMessageAsync(string sessionId, string key, CancellationToken cancellationToken);

    /// <summary>Reads one page of session heads in session id order (byte order), after <see cref="JournalListQuery.After"/>.</summary>
    /// <remarks>
    /// Keyset paging: each page is one range scan of an index from the previous page's last id, so a
    /// page costs the same however deep it lies, and a session created or changed between two pages
    /// never makes another appear twice or not at all (a session created behind the cursor is on no
    /// later page). Only committed heads are listed.
    /// </remarks>
    /// <exception cref="StorageException">The database failed.</exception>
    /// <exception cref="ArgumentException">The limit is outside 1 to <see cref="JournalListQuery.MaxLimit"/>.</exception>
    Task<JournalSessionPage> ListAsync(JournalListQuery query, CancellationToken cancellationToken);

    /// <summary>Commits one step atomically; returns the head's new version (<see cref="JournalCommit.ExpectedVersion"/> + 1).</summary>
    /// <remarks>
    /// A commit handed to the writer is not taken back: cancelling <paramref name="cancellationToken"/>
    /// then ends only the wait, and whether the commit landed is unknown, as after a transient
    /// failure. Either way the caller reloads before writing again: a commit that did land moved the
    /// head, so a retry from the old version is refused instead of applied twice.
    /// </remarks>
    /// <exception cref="JournalConflictException">The head moved on (another activation committed), a row's position is taken, or a message key is already recorded; nothing was written.</exception>
    /// <exception cref="StorageException">The database failed; whether the commit landed is unknown when <see cref="StorageException.IsTransient"/>.</exception>
    /// <exception cref="ArgumentException">The commit is malformed (a null field, a negative version or position).</exception>
    Task<long> CommitAsync(JournalCommit commit, CancellationToken cancellationToken);
}
