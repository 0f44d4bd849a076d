using System.Diagnostics;

namespace AgentGrains.Bench;

/// <summary>Runs an operation from <c>clients</c> concurrent loops for a fixed time and reports rate and latency.</summary>
internal static class Measurement
{
    public static async Task<Result> RunAsync(string name, int clients, TimeSpan duration, Func<int, long, Task> operation, bool recordLatency = true)
    {
        // Warm-up: JIT, connection pools, activations.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => operation(c, -1)));

        var latencies = new List<double>[clients];
        var counts = new long[clients];
        var stopwatch = Stopwatch.StartNew();
        var deadline = duration.Ticks;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var mine = latencies[c] = new List<double>(4096);
            long i = 0;
            while (stopwatch.Elapsed.Ticks < deadline)
            {
                var start = Stopwatch.GetTimestamp();
                await operation(c, i++);
                if (recordLatency)
                {
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }

            counts[c] = i;
        }));
        var elapsed = stopwatch.Elapsed;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new Result(name, clients, counts.Sum() / elapsed.TotalSeconds, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    public sealed record Result(string Name, int Clients, double PerSecond, double P50Ms, double P99Ms)
    {
        public override string ToString() =>
            $"| {Name} | {Clients} | {PerSecond:N0} | {(double.IsNaN(P50Ms) ? "-" : P50Ms.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture))} | {(double.IsNaN(P99Ms) ? "-" : P99Ms.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture))} |";
    }
}
