namespace AgentGrains.Storage.Journal.Postgres;

internal sealed partial class PostgresSessionJournal
{
    /// <inheritdoc />
    public async Task<long> CommitAsync(JournalCommit commit, CancellationToken cancellationToken)
    {
        JournalArguments.Validate(commit);
        var queue = await ReadyAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var rows = Columns(commit.Appends);
        var messages = Columns(commit.Messages);
        return await queue
            .Enqueue(batch => Build(batch, commit, rows, messages), commit.ExpectedVersion + 1)
            .WaitAsync(cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The statements of one commit, in the order they are checked: head, rows, keys.</summary>
    /// <remarks>The head goes first: a stale activation is the usual conflict, and its commit then stops at its first statement.</remarks>
    private void Build(PostgresBatch batch, JournalCommit commit, (string[], long[], string[]) rows, (string[], string[], string[]) messages)
    {
        var id = commit.SessionId;
        // Messages are built only when a statement fails: the common commit never needs them.
        Func<string> stale = () => JournalConflicts.HeadMoved(id, commit.ExpectedVersion);
        if (commit.ExpectedVersion == 0)
        {
            batch.Add(queries.InsertHead, stale).Parameters.Text(id).Text(commit.State).Timestamp(commit.At).NullableText(commit.Label);
        }
        else
        {
            batch.Add(queries.AdvanceHead, stale).Parameters.Text(id).Bigint(commit.ExpectedVersion).Text(commit.State).Timestamp(commit.At);
        }

        if (commit.Appends.Count > 0)
        {
            var (streams, sequences, payloads) = rows;
            batch.Add(queries.AppendRows, () => JournalConflicts.RowsTaken(id, commit.Appends))
                .Parameters.Text(id).TextArray(streams).BigintArray(sequences).TextArray(payloads).Timestamp(commit.At);
        }

        if (commit.Messages.Count > 0)
        {
            var (keys, requests, outcomes) = messages;
            batch.Add(queries.RecordMessages, () => JournalConflicts.KeysRecorded(id, commit.Messages))
                .Parameters.Text(id).TextArray(keys).TextArray(requests).TextArray(outcomes).Timestamp(commit.At);
        }
    }

    private static (string[] Streams, long[] Sequences, string[] Payloads) Columns(IReadOnlyList<JournalAppend> appends)
    {
        var streams = new string[appends.Count];
        var sequences = new long[appends.Count];
        var payloads = new string[appends.Count];
        for (var i = 0; i < appends.Count; i++)
        {
            (streams[i], sequences[i], payloads[i]) = (appends[i].Stream, appends[i].Sequence, appends[i].Payload);
        }

        return (streams, sequences, payloads);
    }

    private static (string[] Keys, string[] Requests, string[] Outcomes) Columns(IReadOnlyList<MessageRecord> messages)
    {
        var keys = new string[messages.Count];
        var requests = new string[messages.Count];
        var outcomes = new string[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            (keys[i], requests[i], outcomes[i]) = (messages[i].Key, messages[i].Request, messages[i].Outcome);
        }

        return (keys, requests, outcomes);
    }
}
