using System.Globalization;
using System.Text.Json;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Reminders;

/// <summary>How a reminder tick travels: an ordinary inbox message with a reserved method key.</summary>
/// <remarks>
/// A tick is a durable message so that everything that delivers messages (wake-ups, pulls, takeover,
/// recovery scans) delivers ticks too. The method key starts with <c>$</c>, which no grain method key
/// can, and the arguments are <c>[name, tickStatus]</c>.
/// </remarks>
internal static class ReminderMessage
{
    public const string MethodKey = "$reminder";

    /// <summary>The span and log name of a tick's turn.</summary>
    public const string MethodName = "ReceiveReminder";

    /// <summary>The idempotency key of one tick: at most one message per reminder and due time.</summary>
    public static string IdempotencyKey(string name, DateTimeOffset dueAt) =>
        string.Create(CultureInfo.InvariantCulture, $"reminder:{name}:{dueAt.UtcTicks}");

    public static InboxMessage Create(ReminderRecord reminder, DateTimeOffset now) =>
        new(
            reminder.Grain,
            IdempotencyKey(reminder.Name, reminder.DueAt),
            MethodKey,
            JsonSerializer.Serialize(new object[] { reminder.Name, new TickStatus(reminder.FirstDueAt, reminder.Period, reminder.DueAt) }, RuntimeJson.Options),
            null,
            now);

    public static (string Name, TickStatus Status) Decode(string arguments)
    {
        var values = JsonSerializer.Deserialize<JsonElement[]>(arguments, RuntimeJson.Options);
        if (values is not { Length: 2 } || values[0].GetString() is not { } name)
        {
            throw new JsonException("The stored arguments of a reminder tick are not [name, status].");
        }

        return (name, values[1].Deserialize<TickStatus>(RuntimeJson.Options));
    }

    /// <summary>The first due time strictly after <paramref name="now"/>, or null for a one-shot reminder.</summary>
    public static DateTimeOffset? NextDue(ReminderRecord reminder, DateTimeOffset now)
    {
        if (reminder.Period <= TimeSpan.Zero)
        {
            return null;
        }

        var behind = now - reminder.DueAt;
        var periods = behind < TimeSpan.Zero ? 0 : (behind.Ticks / reminder.Period.Ticks) + 1;
        return reminder.DueAt + TimeSpan.FromTicks(reminder.Period.Ticks * periods);
    }

    /// <summary>Due times are kept to whole milliseconds, which every provider stores exactly.</summary>
    public static DateTimeOffset ToMilliseconds(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
}
