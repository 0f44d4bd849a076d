using AgentGrains.Runtime.Reminders;
using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

internal sealed partial class PostgresGrainStorage : IReminderStorage
{
    public async Task<ReminderRecord?> ReadReminderAsync(GrainId grain, string name, CancellationToken cancellationToken)
    {
        ReminderRecord? reminder = null;
        await ReadAsync(queries.ReadReminder, c => c.Text(grain.ToString()).Text(name), r => reminder = ReadReminder(r), cancellationToken).ConfigureAwait(false);
        return reminder;
    }

    /// <remarks>
    /// On a pooled connection, not a group-commit writer: the poll reads (and locks) before it knows
    /// what to write, which a writer's one-round-trip batch cannot do, and a poll must not hold up the
    /// turns queued behind it. Three round trips per poll: the claim, the writes, the commit.
    /// </remarks>
    public async Task<IReadOnlyList<ReminderRecord>> FireDueRemindersAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var due = new List<ReminderRecord>();
            await using (var claim = new NpgsqlCommand(queries.ClaimDueReminders, connection, transaction))
            {
                claim.Parameters.Timestamp(now).Integer(maxCount);
                await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    due.Add(ReadReminder(reader));
                }
            }

            if (due.Count == 0)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return due;
            }

            var ticks = due.Select(r => ReminderMessage.Create(r, now)).ToArray();
            var periodic = due.Select(r => (Reminder: r, Next: ReminderMessage.NextDue(r, now))).Where(p => p.Next is not null).ToArray();
            var once = due.Where(r => r.Period <= TimeSpan.Zero).ToArray();
            await using var batch = new NpgsqlBatch(connection, transaction);
            var enqueue = new NpgsqlBatchCommand(queries.EnqueueTicks);
            enqueue.Parameters
                .TextArray([.. ticks.Select(t => t.Grain.ToString())]).TextArray([.. ticks.Select(t => t.IdempotencyKey)]).TextArray([.. ticks.Select(t => t.Arguments)])
                .Text(ReminderMessage.MethodKey).Timestamp(now);
            batch.BatchCommands.Add(enqueue);
            if (periodic.Length > 0)
            {
                var advance = new NpgsqlBatchCommand(queries.AdvanceReminders);
                advance.Parameters
                    .TextArray([.. periodic.Select(p => p.Reminder.Grain.ToString())]).TextArray([.. periodic.Select(p => p.Reminder.Name)])
                    .TimestampArray([.. periodic.Select(p => p.Next!.Value)]);
                batch.BatchCommands.Add(advance);
            }

            if (once.Length > 0)
            {
                var delete = new NpgsqlBatchCommand(queries.DeleteReminders);
                delete.Parameters.TextArray([.. once.Select(r => r.Grain.ToString())]).TextArray([.. once.Select(r => r.Name)]);
                batch.BatchCommands.Add(delete);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return due;
        }
        catch (NpgsqlException ex)
        {
            throw new StorageException($"Firing due reminders failed: {ex.Message}", ex.IsTransient, ex);
        }
    }

    private static ReminderRecord ReadReminder(NpgsqlDataReader reader) => new(
        GrainId.Parse(reader.GetString(0)),
        reader.GetString(1),
        reader.GetFieldValue<DateTimeOffset>(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        TimeSpan.FromMilliseconds(reader.GetInt64(4)));
}
