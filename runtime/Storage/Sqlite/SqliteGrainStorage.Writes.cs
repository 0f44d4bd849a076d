using Microsoft.Data.Sqlite;

namespace AgentGrains.Runtime.Storage.Sqlite;

internal sealed partial class SqliteGrainStorage
{
    public Task ReleaseAsync(GrainId grain, long epoch, CancellationToken cancellationToken)
    {
        var id = grain.ToString();
        return Writer.Enqueue(w =>
        {
            var delete = w.Command("DELETE FROM activations WHERE grain_id = $g AND epoch = $e");
            delete.Parameters.AddWithValue("$g", id);
            delete.Parameters.AddWithValue("$e", epoch);
            return delete.ExecuteNonQuery();
        });
    }

    public Task<EnqueueResult> EnqueueAsync(InboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var id = message.Grain.ToString();
        return Writer.Enqueue(w =>
        {
            var insert = w.Command("""
                INSERT INTO inbox (grain_id, idempotency_key, method, arguments, traceparent, created_at, reply_to)
                VALUES ($g, $k, $m, $a, $p, $t, $r)
                ON CONFLICT (grain_id, idempotency_key) DO NOTHING
                RETURNING id
                """);
            insert.Parameters.AddWithValue("$g", id);
            insert.Parameters.AddWithValue("$k", message.IdempotencyKey);
            insert.Parameters.AddWithValue("$m", message.Method);
            insert.Parameters.AddWithValue("$a", message.Arguments);
            insert.Parameters.AddWithValue("$p", (object?)message.TraceParent ?? DBNull.Value);
            insert.Parameters.AddWithValue("$t", message.CreatedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$r", (object?)message.ReplyTo ?? DBNull.Value);
            var inserted = insert.ExecuteScalar();
            if (inserted is long newId)
            {
                return new EnqueueResult(
                    new InboxRecord(newId, message.Grain, message.IdempotencyKey, message.Method, message.Arguments, message.TraceParent, InboxStatus.Pending, null, null, message.ReplyTo),
                    Duplicate: false);
            }

            var select = w.Command(SelectMessageSql);
            select.Parameters.AddWithValue("$g", id);
            select.Parameters.AddWithValue("$k", message.IdempotencyKey);
            using var reader = select.ExecuteReader();
            reader.Read();
            return new EnqueueResult(ReadInbox(reader), Duplicate: true);
        });
    }

    public Task<CommitResult> CommitAsync(TurnCommit commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var id = commit.Grain.ToString();
        var at = commit.At.ToUnixTimeMilliseconds();
        return Writer.Enqueue(w =>
        {
            var owner = w.Command("SELECT epoch FROM activations WHERE grain_id = $g");
            owner.Parameters.AddWithValue("$g", id);
            if (owner.ExecuteScalar() is not long epoch || epoch != commit.Epoch)
            {
                throw new InconsistentStateException($"Grain {id} is no longer owned under epoch {commit.Epoch}; the write was rejected.");
            }

            var versions = new long[commit.States.Count];
            for (var i = 0; i < commit.States.Count; i++)
            {
                versions[i] = WriteState(w, id, commit.States[i], at);
            }

            foreach (var append in commit.Appends)
            {
                var insert = w.Command("INSERT INTO grain_log (grain_id, stream, seq, payload, created_at) VALUES ($g, $s, $q, $p, $t)");
                insert.Parameters.AddWithValue("$g", id);
                insert.Parameters.AddWithValue("$s", append.Stream);
                insert.Parameters.AddWithValue("$q", append.Sequence);
                insert.Parameters.AddWithValue("$p", append.Payload);
                insert.Parameters.AddWithValue("$t", at);
                insert.ExecuteNonQuery();
            }

            foreach (var reminder in commit.Reminders ?? [])
            {
                WriteReminder(w, id, reminder);
            }

            if (commit.Completion is { } completion)
            {
                var complete = w.Command("UPDATE inbox SET status = $st, result = $r, error = $e, completed_at = $t WHERE id = $id AND status = 0");
                complete.Parameters.AddWithValue("$st", (int)completion.Status);
                complete.Parameters.AddWithValue("$r", (object?)completion.Result ?? DBNull.Value);
                complete.Parameters.AddWithValue("$e", (object?)completion.Error ?? DBNull.Value);
                complete.Parameters.AddWithValue("$t", at);
                complete.Parameters.AddWithValue("$id", completion.MessageId);
                if (complete.ExecuteNonQuery() != 1)
                {
                    throw new InconsistentStateException($"Message {completion.MessageId} of grain {id} is already completed; it is never processed twice.");
                }
            }

            return new CommitResult(versions);
        });
    }

    private static long WriteState(SqliteWriteQueue w, string grainId, StateWrite write, long at)
    {
        SqliteCommand command;
        long newVersion;
        if (write.Payload is null)
        {
            command = w.Command("DELETE FROM grain_state WHERE grain_id = $g AND name = $n AND version = $v");
            command.Parameters.AddWithValue("$v", write.ExpectedVersion ?? -1);
            newVersion = 0;
            if (write.ExpectedVersion is null)
            {
                return 0;
            }
        }
        else if (write.ExpectedVersion is null)
        {
            command = w.Command("INSERT INTO grain_state (grain_id, name, version, payload, updated_at) VALUES ($g, $n, 1, $p, $t) ON CONFLICT DO NOTHING");
            command.Parameters.AddWithValue("$p", write.Payload);
            command.Parameters.AddWithValue("$t", at);
            newVersion = 1;
        }
        else
        {
            command = w.Command("UPDATE grain_state SET version = version + 1, payload = $p, updated_at = $t WHERE grain_id = $g AND name = $n AND version = $v");
            command.Parameters.AddWithValue("$p", write.Payload);
            command.Parameters.AddWithValue("$t", at);
            command.Parameters.AddWithValue("$v", write.ExpectedVersion.Value);
            newVersion = write.ExpectedVersion.Value + 1;
        }

        command.Parameters.AddWithValue("$g", grainId);
        command.Parameters.AddWithValue("$n", write.Name);
        if (command.ExecuteNonQuery() != 1)
        {
            throw new InconsistentStateException(
                $"State '{write.Name}' of grain {grainId} is no longer at version {write.ExpectedVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}; the write was rejected.");
        }

        return newVersion;
    }
}
