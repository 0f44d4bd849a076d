using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.Storage.Orleans;

public interface ITickingGrain : IGrainWithStringKey
{
    Task RegisterAsync(string reminderName, TimeSpan dueTime, TimeSpan period);

    /// <summary>Unregisters the reminder; false when it was not registered.</summary>
    Task<bool> UnregisterAsync(string reminderName);

    Task<bool> IsRegisteredAsync(string reminderName);
}

/// <summary>Registers reminders on request and records each tick in the silo's <see cref="ReminderTickLog"/>.</summary>
public sealed class TickingGrain(ReminderTickLog ticks) : Grain, ITickingGrain, IRemindable
{
    public Task RegisterAsync(string reminderName, TimeSpan dueTime, TimeSpan period) =>
        this.RegisterOrUpdateReminder(reminderName, dueTime, period);

    public async Task<bool> UnregisterAsync(string reminderName)
    {
        var reminder = await this.GetReminder(reminderName);
        if (reminder is null)
        {
            return false;
        }

        await this.UnregisterReminder(reminder);
        return true;
    }

    public async Task<bool> IsRegisteredAsync(string reminderName) => await this.GetReminder(reminderName) is not null;

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        ticks.Record(this.GetPrimaryKeyString(), reminderName);
        return Task.CompletedTask;
    }
}
