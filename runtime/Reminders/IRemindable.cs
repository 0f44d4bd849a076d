namespace AgentGrains.Runtime.Reminders;

/// <summary>Implemented by a grain class that registers reminders; the runtime calls it for each tick.</summary>
/// <remarks>
/// The grain interface need not declare it. A tick is a durable message: <see cref="ReceiveReminder"/>
/// runs in a durable turn and what it stages commits with the tick's completion. A tick is delivered
/// at most once; ticks missed while no silo ran fire once, not once per missed period.
/// </remarks>
public interface IRemindable
{
    /// <summary>Handles one tick of the reminder <paramref name="reminderName"/>.</summary>
    /// <param name="reminderName">The name the reminder was registered under.</param>
    /// <param name="status">When the reminder first ticked, its period and this tick's scheduled time.</param>
    Task ReceiveReminder(string reminderName, TickStatus status);
}
