using System.Globalization;
using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

internal sealed partial class PostgresGrainStorage
{
    public Task ReleaseAsync(GrainId grain, long epoch, CancellationToken cancellationToken)
    {
        var id = grain.ToString();
        return Writer(grain).Enqueue(batch => batch.Add(queries.Release).Parameters.Text(id).Bigint(epoch), static () => true);
    }

    public Task<EnqueueResult> EnqueueAsync(InboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var id = message.Grain.ToString();
        NpgsqlBatchCommand? insert = null;
        InboxRecord? record = null;
        return Writer(message.Grain).Enqueue(
            batch =>
            {
                record = null;
                insert = batch.Add(queries.Enqueue);
                insert.Parameters
                    .Text(id).Text(message.IdempotencyKey).Text(message.Method).Text(message.Arguments)
                    .Text(message.TraceParent).Timestamp(message.CreatedAt).Text(message.ReplyTo);
                // A second statement rather than RETURNING: when ON CONFLICT DO NOTHING waited for another
                // silo's insert of the same key, only the next statement's snapshot sees that row.
                batch.Add(queries.SelectMessage, readRow: r => record = ReadInbox(r)).Parameters.Text(id).Text(message.IdempotencyKey);
            },
            () => new EnqueueResult(
                record ?? throw new InvalidOperationException($"Message {message.IdempotencyKey} of {id} was neither inserted nor found."),
                Duplicate: insert!.RecordsAffected == 0));
    }

    public Task<CommitResult> CommitAsync(TurnCommit commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var id = commit.Grain.ToString();
        var versions = new long[commit.States.Count];
        return Writer(commit.Grain).Enqueue(batch => BuildCommit(batch, id, commit, versions), () => new CommitResult(versions));
    }

    /// <summary>The statements of one turn, in the order they are checked: epoch, states, log, completion.</summary>
    private void BuildCommit(PostgresBatch batch, string id, TurnCommit commit, long[] versions)
    {
        batch.Add(queries.CheckEpoch, returnsRows: true, conflict: $"Grain {id} is no longer owned under epoch {commit.Epoch}; the write was rejected.")
            .Parameters.Text(id).Bigint(commit.Epoch);

        for (var i = 0; i < commit.States.Count; i++)
        {
            versions[i] = AddStateWrite(batch, id, commit.States[i], commit.At);
        }

        if (commit.Appends.Count > 0)
        {
            var streams = new string[commit.Appends.Count];
            var sequences = new long[commit.Appends.Count];
            var payloads = new string[commit.Appends.Count];
            for (var i = 0; i < commit.Appends.Count; i++)
            {
                (streams[i], sequences[i], payloads[i]) = (commit.Appends[i].Stream, commit.Appends[i].Sequence, commit.Appends[i].Payload);
            }

            batch.Add(queries.AppendLog).Parameters.Text(id).TextArray(streams).BigintArray(sequences).TextArray(payloads).Timestamp(commit.At);
        }

        foreach (var reminder in commit.Reminders ?? [])
        {
            if (reminder.DueAt is { } due)
            {
                batch.Add(queries.UpsertReminder).Parameters.Text(id).Text(reminder.Name).Timestamp(due).Bigint((long)reminder.Period.TotalMilliseconds);
            }
            else
            {
                batch.Add(queries.DeleteReminder).Parameters.Text(id).Text(reminder.Name);
            }
        }

        if (commit.Completion is { } completion)
        {
            batch.Add(queries.CompleteMessage, returnsRows: true, conflict: $"Message {completion.MessageId} of grain {id} is already completed; it is never processed twice.")
                .Parameters.Bigint(completion.MessageId).Smallint((short)completion.Status).Text(completion.Result).Text(completion.Error).Timestamp(commit.At).Text(id);
        }
    }

    /// <summary>Adds one state write; returns the version it produces (0 for a delete).</summary>
    private long AddStateWrite(PostgresBatch batch, string id, StateWrite write, DateTimeOffset at)
    {
        var stale = $"State '{write.Name}' of grain {id} is no longer at version " +
            $"{write.ExpectedVersion?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}; the write was rejected.";
        if (write.Payload is null)
        {
            if (write.ExpectedVersion is not { } deleted)
            {
                return 0;
            }

            batch.Add(queries.DeleteState, returnsRows: true, conflict: stale).Parameters.Text(id).Text(write.Name).Bigint(deleted);
            return 0;
        }

        if (write.ExpectedVersion is not { } expected)
        {
            batch.Add(queries.InsertState, conflict: stale).Parameters.Text(id).Text(write.Name).Text(write.Payload).Timestamp(at);
            return 1;
        }

        batch.Add(queries.UpdateState, returnsRows: true, conflict: stale).Parameters.Text(id).Text(write.Name).Bigint(expected).Text(write.Payload).Timestamp(at);
        return expected + 1;
    }
}
