using System.Collections.Concurrent;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.Storage.Hosting;

public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task StartAsync(TimeSpan period);
}

/// <summary>Registers a reminder and records, for each tick it receives, the silo it ran on.</summary>
public sealed class ReminderProbeGrain(ILocalSiloDetails silo) : Grain, IReminderProbeGrain, IRemindable
{
    public const string ReminderName = "probe";

    public Task StartAsync(TimeSpan period) => this.RegisterOrUpdateReminder(ReminderName, period, period);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        ReminderTickLog.Record(this.GetPrimaryKeyString(), silo.SiloAddress);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Ticks received by <see cref="ReminderProbeGrain"/>, keyed by grain key. Static because the silos run
/// in the test process and a tick must be seen even when the silo that received it is gone; each test
/// uses its own grain keys.
/// </summary>
public static class ReminderTickLog
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<SiloAddress>> Ticks = new();

    public static void Record(string grainKey, SiloAddress silo) => Ticks.GetOrAdd(grainKey, static _ => new()).Enqueue(silo);

    /// <summary>The silos that received the grain's ticks, in order.</summary>
    public static IReadOnlyList<SiloAddress> Of(string grainKey) => Ticks.TryGetValue(grainKey, out var ticks) ? [.. ticks] : [];
}
