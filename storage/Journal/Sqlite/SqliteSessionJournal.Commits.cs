using Microsoft.Data.Sqlite;

namespace AgentGrains.Storage.Journal.Sqlite;

internal sealed partial class SqliteSessionJournal
{
    // A first commit inserts the head at version 1; a head already there (another activation's
    // first commit) inserts nothing, which the commit reads as a conflict.
    private const string InsertHeadSql = $"""
        INSERT INTO grain_state (grain_id, name, version, payload, updated_at, label) VALUES ($g, '{JournalLayout.HeadName}', 1, $p, $t, $l)
        ON CONFLICT DO NOTHING
        """;

    // The fence: only a writer that read the current version moves the head on.
    private const string AdvanceHeadSql = $"""
        UPDATE grain_state SET version = version + 1, payload = $p, updated_at = $t
        WHERE grain_id = $g AND name = '{JournalLayout.HeadName}' AND version = $v
        """;

    // DO NOTHING instead of failing, so the commit knows which row or key was taken and says so.
    private const string AppendRowSql = "INSERT INTO grain_log (grain_id, stream, seq, payload, created_at) VALUES ($g, $s, $q, $p, $t) ON CONFLICT DO NOTHING";

    private const string RecordMessageSql = "INSERT INTO message_keys (grain_id, key, request, outcome, created_at) VALUES ($g, $k, $r, $o, $t) ON CONFLICT DO NOTHING";

    /// <inheritdoc />
    public async Task<long> CommitAsync(JournalCommit commit, CancellationToken cancellationToken)
    {
        JournalArguments.Validate(commit);
        var queue = await ReadyAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return await queue.Enqueue(w => Apply(w, commit)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one commit inside the writer's batch; throws <see cref="JournalConflictException"/> at the first thing found taken.</summary>
    private static long Apply(SqliteWriteQueue writer, JournalCommit commit)
    {
        var id = commit.SessionId;
        var at = commit.At.ToUnixTimeMilliseconds();
        SqliteCommand head;
        if (commit.ExpectedVersion == 0)
        {
            head = writer.Command(InsertHeadSql);
            head.Parameters.AddWithValue("$l", (object?)commit.Label ?? DBNull.Value);
        }
        else
        {
            head = writer.Command(AdvanceHeadSql);
            head.Parameters.AddWithValue("$v", commit.ExpectedVersion);
        }

        head.Parameters.AddWithValue("$g", id);
        head.Parameters.AddWithValue("$p", commit.State);
        head.Parameters.AddWithValue("$t", at);
        if (head.ExecuteNonQuery() != 1)
        {
            throw new JournalConflictException(JournalConflicts.HeadMoved(id, commit.ExpectedVersion));
        }

        foreach (var append in commit.Appends)
        {
            var insert = writer.Command(AppendRowSql);
            insert.Parameters.AddWithValue("$g", id);
            insert.Parameters.AddWithValue("$s", append.Stream);
            insert.Parameters.AddWithValue("$q", append.Sequence);
            insert.Parameters.AddWithValue("$p", append.Payload);
            insert.Parameters.AddWithValue("$t", at);
            if (insert.ExecuteNonQuery() != 1)
            {
                throw new JournalConflictException(JournalConflicts.RowTaken(id, append.Stream, append.Sequence));
            }
        }

        foreach (var message in commit.Messages)
        {
            var insert = writer.Command(RecordMessageSql);
            insert.Parameters.AddWithValue("$g", id);
            insert.Parameters.AddWithValue("$k", message.Key);
            insert.Parameters.AddWithValue("$r", message.Request);
            insert.Parameters.AddWithValue("$o", message.Outcome);
            insert.Parameters.AddWithValue("$t", at);
            if (insert.ExecuteNonQuery() != 1)
            {
                throw new JournalConflictException(JournalConflicts.KeyRecorded(id, message.Key));
            }
        }

        return commit.ExpectedVersion + 1;
    }
}
