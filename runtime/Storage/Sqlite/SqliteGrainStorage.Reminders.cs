using AgentGrains.Runtime.Reminders;
using Microsoft.Data.Sqlite;

namespace AgentGrains.Runtime.Storage.Sqlite;

internal sealed partial class SqliteGrainStorage : IReminderStorage
{
    private const string ReminderColumns = "grain_id, name, first_due_at, due_at, period_ms";

    public async Task<ReminderRecord?> ReadReminderAsync(GrainId grain, string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {ReminderColumns} FROM reminders WHERE grain_id = $g AND name = $n";
        command.Parameters.AddWithValue("$g", grain.ToString());
        command.Parameters.AddWithValue("$n", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadReminder(reader) : null;
    }

    public Task<IReadOnlyList<ReminderRecord>> FireDueRemindersAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken) =>
        Writer.Enqueue<IReadOnlyList<ReminderRecord>>(w =>
        {
            // The single writer is the claim: no other poll (thread or process) runs between this read and the writes.
            var due = new List<ReminderRecord>();
            var select = w.Command($"SELECT {ReminderColumns} FROM reminders WHERE due_at <= $now ORDER BY due_at LIMIT $n");
            select.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            select.Parameters.AddWithValue("$n", maxCount);
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    due.Add(ReadReminder(reader));
                }
            }

            foreach (var reminder in due)
            {
                var tick = ReminderMessage.Create(reminder, now);
                var insert = w.Command("""
                    INSERT INTO inbox (grain_id, idempotency_key, method, arguments, created_at)
                    VALUES ($g, $k, $m, $a, $t)
                    ON CONFLICT (grain_id, idempotency_key) DO NOTHING
                    """);
                insert.Parameters.AddWithValue("$g", tick.Grain.ToString());
                insert.Parameters.AddWithValue("$k", tick.IdempotencyKey);
                insert.Parameters.AddWithValue("$m", tick.Method);
                insert.Parameters.AddWithValue("$a", tick.Arguments);
                insert.Parameters.AddWithValue("$t", now.ToUnixTimeMilliseconds());
                insert.ExecuteNonQuery();

                var next = ReminderMessage.NextDue(reminder, now);
                var advance = next is null
                    ? w.Command("DELETE FROM reminders WHERE grain_id = $g AND name = $n")
                    : w.Command("UPDATE reminders SET due_at = $d WHERE grain_id = $g AND name = $n");
                advance.Parameters.AddWithValue("$g", tick.Grain.ToString());
                advance.Parameters.AddWithValue("$n", reminder.Name);
                if (next is { } nextDue)
                {
                    advance.Parameters.AddWithValue("$d", nextDue.ToUnixTimeMilliseconds());
                }

                advance.ExecuteNonQuery();
            }

            return due;
        });

    private static void WriteReminder(SqliteWriteQueue w, string grainId, ReminderWrite reminder)
    {
        SqliteCommand command;
        if (reminder.DueAt is { } due)
        {
            command = w.Command("""
                INSERT INTO reminders (grain_id, name, first_due_at, due_at, period_ms) VALUES ($g, $n, $d, $d, $p)
                ON CONFLICT (grain_id, name) DO UPDATE SET first_due_at = excluded.first_due_at, due_at = excluded.due_at, period_ms = excluded.period_ms
                """);
            command.Parameters.AddWithValue("$d", due.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$p", (long)reminder.Period.TotalMilliseconds);
        }
        else
        {
            command = w.Command("DELETE FROM reminders WHERE grain_id = $g AND name = $n");
        }

        command.Parameters.AddWithValue("$g", grainId);
        command.Parameters.AddWithValue("$n", reminder.Name);
        command.ExecuteNonQuery();
    }

    private static ReminderRecord ReadReminder(SqliteDataReader reader) => new(
        GrainId.Parse(reader.GetString(0)),
        reader.GetString(1),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        TimeSpan.FromMilliseconds(reader.GetInt64(4)));
}
