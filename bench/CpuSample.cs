using System.Diagnostics;
using System.Globalization;

namespace AgentGrains.Bench;

/// <summary>The machine's busy CPU time so far, from <c>/proc/stat</c> (Linux); zero elsewhere.</summary>
internal readonly record struct CpuSample(long BusyTicks, long Timestamp)
{
    private const string ProcStat = "/proc/stat";

    // USER_HZ: /proc/stat counts in hundredths of a second on Linux.
    private const double TicksPerSecond = 100;

    public static bool Available => File.Exists(ProcStat);

    public static CpuSample Take()
    {
        if (!Available)
        {
            return new CpuSample(0, Stopwatch.GetTimestamp());
        }

        // cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
        var fields = File.ReadLines(ProcStat).First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var busy = fields.Take(8).Sum() - fields[3] - fields[4];
        return new CpuSample(busy, Stopwatch.GetTimestamp());
    }

    /// <summary>Cores busy on average between <paramref name="earlier"/> and this sample.</summary>
    public double MachineCoresSince(CpuSample earlier) =>
        (BusyTicks - earlier.BusyTicks) / TicksPerSecond / Stopwatch.GetElapsedTime(earlier.Timestamp, Timestamp).TotalSeconds;
}
