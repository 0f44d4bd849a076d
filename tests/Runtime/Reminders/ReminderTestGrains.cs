using System.Collections.Concurrent;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Reminders;

namespace AgentGrains.Tests.Runtime.Reminders;

public interface IReminderGrain : IGrainWithStringKey
{
    /// <summary>Registers a reminder; a zero period registers a one-shot.</summary>
    Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period);

    Task RegisterThenFailAsync(string name, TimeSpan dueTime, TimeSpan period);

    Task UnregisterAsync(string name);

    Task<bool> ExistsAsync(string name);

    [ReadOnly]
    Task RegisterReadOnlyAsync(string name);
}

public interface IPlainGrain : IGrainWithStringKey
{
    Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period);
}

public sealed record Tick(string Grain, string Name, TickStatus Status, string SiloId);

/// <summary>The ticks the reminder grains received, shared with the test through DI.</summary>
public sealed class ReminderProbe
{
    public ConcurrentQueue<Tick> Ticks { get; } = new();

    public int Count(string grain, string name) => Ticks.Count(t => t.Grain == grain && t.Name == name);

    public IReadOnlyList<Tick> Of(string grain, string name) => [.. Ticks.Where(t => t.Grain == grain && t.Name == name)];
}

public sealed class ReminderGrain(ReminderProbe probe) : Grain, IReminderGrain, IRemindable
{
    public Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period) =>
        period == TimeSpan.Zero ? RegisterOrUpdateReminder(name, dueTime) : RegisterOrUpdateReminder(name, dueTime, period);

    public async Task RegisterThenFailAsync(string name, TimeSpan dueTime, TimeSpan period)
    {
        await RegisterOrUpdateReminder(name, dueTime, period);
        throw new InvalidOperationException("failing after registering");
    }

    public async Task UnregisterAsync(string name)
    {
        if (await GetReminder(name) is { } reminder)
        {
            await UnregisterReminder(reminder);
        }
    }

    public async Task<bool> ExistsAsync(string name) => await GetReminder(name) is not null;

    public Task RegisterReadOnlyAsync(string name) => RegisterOrUpdateReminder(name, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        probe.Ticks.Enqueue(new Tick(GrainId.Key, reminderName, status, SiloId));
        return Task.CompletedTask;
    }
}

public sealed class PlainGrain : Grain, IPlainGrain
{
    public Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period) => RegisterOrUpdateReminder(name, dueTime, period);
}
