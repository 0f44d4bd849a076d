using AgentGrains.Runtime.Reminders;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Activations;

internal sealed partial class Activation
{
    // Reminder registrations and removals of the current turn, by name; they commit with it.
    private readonly Dictionary<string, ReminderWrite> stagedReminders = new(StringComparer.Ordinal);

    // Callbacks of the current turn to run once it has committed (dropped if it fails).
    private readonly List<Action> afterCommit = [];

    /// <summary>Runs <paramref name="callback"/> on the grain's scheduler once the current turn has committed, before its caller is answered.</summary>
    public void AfterCommit(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        RequireOwnTurn("AfterCommit");
        afterCommit.Add(callback);
    }

    /// <summary>Stages a reminder registration (<paramref name="period"/> zero: one-shot); due time from the silo's clock now.</summary>
    public Task<IGrainReminder> RegisterReminder(string name, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, TimeSpan.Zero);
        if (period > TimeSpan.Zero && period < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "A reminder period must be at least 1 ms (or zero for a one-shot reminder).");
        }

        RequireOwnTurn("RegisterOrUpdateReminder");
        var due = ReminderMessage.ToMilliseconds(silo.TimeProvider.GetUtcNow() + dueTime);
        var rounded = TimeSpan.FromMilliseconds(Math.Floor(period.TotalMilliseconds));
        stagedReminders[name] = new ReminderWrite(name, due, rounded);
        IGrainReminder reminder = new GrainReminder(name, due, rounded);
        return InTurn ? Task.FromResult(reminder) : CommitThen(reminder);
    }

    /// <summary>Stages the removal of a reminder.</summary>
    public Task UnregisterReminder(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        RequireOwnTurn("UnregisterReminder");
        stagedReminders[name] = new ReminderWrite(name, null, TimeSpan.Zero);
        return InTurn ? Task.CompletedTask : CommitOutsideTurnAsync(silo.StoppingToken);
    }

    /// <summary>The reminder as this turn sees it: its staged change if any, else what is stored.</summary>
    public async Task<IGrainReminder?> GetReminder(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (stagedReminders.TryGetValue(name, out var staged))
        {
            return staged.DueAt is { } due ? new GrainReminder(name, due, staged.Period) : null;
        }

        var stored = await ((IReminderStorage)Storage).ReadReminderAsync(GrainId, name, silo.StoppingToken).ConfigureAwait(false);
        return stored is null ? null : new GrainReminder(stored.Name, stored.DueAt, stored.Period);
    }

    private async Task<IGrainReminder> CommitThen(IGrainReminder reminder)
    {
        await CommitOutsideTurnAsync(silo.StoppingToken).ConfigureAwait(false);
        return reminder;
    }

    private void RequireOwnTurn(string operation)
    {
        if (!InOwnTurn)
        {
            throw new InvalidOperationException(
                $"{operation} on grain {GrainId} must be called in the grain's own turn (a durable method, a RunTurnAsync turn or OnActivateAsync), " +
                "not in a read-only call or off the grain's scheduler: reminder changes commit with the turn.");
        }
    }
}
