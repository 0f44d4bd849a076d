using System.Collections.ObjectModel;
using System.Diagnostics;

namespace AgentGrains.Tests.Telemetry;

/// <summary>The spans an in-memory exporter hands over, safe to read while silos on other threads end more.</summary>
public sealed class SpanCollector : Collection<Activity>
{
    private readonly Lock gate = new();

    /// <summary>The spans ended so far.</summary>
    public IReadOnlyList<Activity> Snapshot()
    {
        lock (gate)
        {
            return [.. Items];
        }
    }

    protected override void InsertItem(int index, Activity item)
    {
        lock (gate)
        {
            base.InsertItem(index, item);
        }
    }
}
