using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Reminders;

/// <summary>What the reminder service needs from a database, besides turn commits (which register and remove reminders).</summary>
internal interface IReminderStorage
{
    /// <summary>One reminder of a grain, if registered.</summary>
    Task<ReminderRecord?> ReadReminderAsync(GrainId grain, string name, CancellationToken cancellationToken);

    /// <summary>In one transaction: claims up to <paramref name="maxCount"/> reminders due at <paramref name="now"/>, puts a tick message into each one's grain inbox and advances it.</summary>
    /// <remarks>
    /// The tick message's idempotency key names the reminder and its due time, so a tick is in the
    /// inbox at most once even if two silos fire it. A periodic reminder moves to its first due time
    /// strictly after <paramref name="now"/> (missed ticks collapse into one); a one-shot is deleted.
    /// </remarks>
    /// <returns>The reminders fired, whose grains should now run their inbox.</returns>
    Task<IReadOnlyList<ReminderRecord>> FireDueRemindersAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken);
}
