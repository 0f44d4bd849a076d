using System.Diagnostics;

namespace AgentGrains.Bench;

/// <summary>The silo's reminder table, with each upsert and delete timed into a <see cref="StepTimeline"/>.</summary>
internal sealed class TimedReminderTable(IReminderTable inner, StepTimeline timeline) : IReminderTable
{
    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => inner.StopAsync(cancellationToken);

    public Task<ReminderTableData> ReadRows(GrainId grainId) => inner.ReadRows(grainId);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => inner.ReadRows(begin, end);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => inner.ReadRow(grainId, reminderName);

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.UpsertRow(entry);
        }
        finally
        {
            timeline.Record(StepTimeline.Kind.ReminderUpsert, entry.GrainId.Key.ToString()!, start);
        }
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.RemoveRow(grainId, reminderName, eTag);
        }
        finally
        {
            timeline.Record(StepTimeline.Kind.ReminderRemove, grainId.Key.ToString()!, start);
        }
    }

    public Task TestOnlyClearTable() => inner.TestOnlyClearTable();
}
