namespace AgentGrains.Tests.Storage.Orleans;

/// <summary>Reminder ticks as the grains received them, in order; shared by the silos of one test cluster.</summary>
public sealed class ReminderTickLog
{
    private readonly Lock gate = new();
    private readonly List<ReminderTick> ticks = [];

    public void Record(string grain, string reminder)
    {
        lock (gate)
        {
            ticks.Add(new ReminderTick(grain, reminder, ticks.Count));
        }
    }

    public IReadOnlyList<ReminderTick> Snapshot()
    {
        lock (gate)
        {
            return [.. ticks];
        }
    }

    public int Count(string grain, string reminder) => Snapshot().Count(t => t.Grain == grain && t.Reminder == reminder);
}

/// <summary>One tick: the grain's key, the reminder's name and its position in the log.</summary>
public sealed record ReminderTick(string Grain, string Reminder, int Sequence);
