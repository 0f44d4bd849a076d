namespace AgentGrains.Storage.Journal;

/// <summary>Argument checks shared by the journal implementations.</summary>
/// <remarks>
/// Run before a commit is queued: a malformed commit must fail its caller alone, never reach a
/// group commit where the database would refuse it among other sessions' commits.
/// </remarks>
internal static class JournalArguments
{
    public static void Validate(JournalCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        ArgumentException.ThrowIfNullOrEmpty(commit.SessionId, nameof(commit));
        ArgumentOutOfRangeException.ThrowIfNegative(commit.ExpectedVersion, nameof(commit));
        if (commit.State is null || commit.Appends is null || commit.Messages is null)
        {
            throw new ArgumentException($"A commit of session '{commit.SessionId}' has a null State, Appends or Messages.", nameof(commit));
        }

        foreach (var append in commit.Appends)
        {
            if (append?.Stream is null || append.Payload is null || append.Sequence < 0)
            {
                throw new ArgumentException($"A commit of session '{commit.SessionId}' appends a null row, a row without stream or payload, or a negative position.", nameof(commit));
            }
        }

        foreach (var message in commit.Messages)
        {
            if (message?.Key is null || message.Request is null || message.Outcome is null)
            {
                throw new ArgumentException($"A commit of session '{commit.SessionId}' records a message without key, request or outcome.", nameof(commit));
            }
        }
    }

    public static void ValidateRead(string sessionId, string stream, long from, int maxCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
    }

    public static void ValidateList(JournalListQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > JournalListQuery.MaxLimit)
        {
            throw new ArgumentException($"A listing's limit is {query.Limit}; ask for 1 to {JournalListQuery.MaxLimit} sessions.", nameof(query));
        }
    }

    /// <summary>Takes the first <paramref name="limit"/> of up to <paramref name="limit"/> + 1 rows read; the extra row only says a next page exists.</summary>
    public static JournalSessionPage Page(List<JournalSession> rows, int limit)
    {
        if (rows.Count <= limit)
        {
            return new JournalSessionPage(rows, null);
        }

        rows.RemoveAt(limit);
        return new JournalSessionPage(rows, rows[^1].SessionId);
    }
}
