using System.Diagnostics;
using System.Globalization;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Bench;

/// <summary>One long conversation: the time of a turn at turn 10, 100 and 1,000, with the running summary on and off.</summary>
/// <remarks>
/// One session per agent on one SQLite silo (WAL, <c>synchronous=FULL</c>), one message at a time, each
/// a statement the scripted model acknowledges in one step. Both agents see a 20-message window; the
/// summarizing one folds every 20 messages that leave it into the running summary (a model call and
/// a commit more, one turn in five). A figure is the median of the ten turns ending at that turn,
/// with the slowest of them (a summarizing turn, when the agent summarizes).
/// </remarks>
internal static class LongSessionBench
{
    private const string Summarizing = "summarizing";
    private const string Windowed = "windowed";

    public static async Task RunAsync(int turns)
    {
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Storage:Path"] = Path.Combine(directory, "grains.db"),
                ["Storage:FlushEachCommit"] = "true",
            };
            var models = new Dictionary<string, CountingModel> { [Windowed] = new(), [Summarizing] = new() };
            await using var silo = await BenchSilo.StartAsync(settings, services =>
            {
                services.AddSingleton(Agent(Summarizing, models[Summarizing], summarizeAfter: 20));
                services.AddSingleton(Agent(Windowed, models[Windowed], summarizeAfter: null));
            });

            var marks = new[] { 10, 100, 1000, turns }.Where(t => t <= turns).Distinct().Order().ToArray();
            var results = new List<(string Agent, double[] Times, long[] Calls)>();
            foreach (var agent in new[] { Windowed, Summarizing })
            {
                // Every code path once (the JIT, the first commits) in a session of its own.
                await RunSessionAsync(silo.Grains, agent, $"warm-up-{agent}", models[agent], 30);
            }

            foreach (var agent in new[] { Windowed, Summarizing })
            {
                var (times, calls) = await RunSessionAsync(silo.Grains, agent, $"long-{agent}", models[agent], turns);
                results.Add((agent, times, calls));
            }

            Console.WriteLine($"AgentGrains long-session bench (Orleans silo, SQLite synchronous=FULL): one session of {turns.ToString(CultureInfo.InvariantCulture)} turns per agent, one message at a time");
            Console.WriteLine();
            Console.WriteLine("| agent | turn | turn p50 ms (that turn and the 9 before) | slowest of them ms | model calls so far |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (var (agent, times, calls) in results)
            {
                foreach (var mark in marks)
                {
                    var window = times[Math.Max(0, mark - 10)..mark];
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {agent} | {mark} | {Median(window):0.000} | {window.Max():0.000} | {calls[mark - 1]} |"));
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A file the silo still holds: the temporary directory is the system's to clean.
            }
        }
    }

    private static AgentDefinition Agent(string name, CountingModel model, int? summarizeAfter) =>
        new(name, "Acknowledge what the user states; answer questions from the conversation.", [])
        {
            ChatClient = model,
            HistoryWindow = 20,
            SummarizeAfter = summarizeAfter,
        };

    private static async Task<(double[] Times, long[] Calls)> RunSessionAsync(IGrainFactory grains, string agent, string sessionId, CountingModel model, int turns)
    {
        var calls = new long[turns];
        var first = model.Calls;
        var session = grains.GetGrain<IAgentSessionGrain>(sessionId);
        await session.CreateAsync(agent);
        var times = new double[turns];
        for (var turn = 1; turn <= turns; turn++)
        {
            var started = Stopwatch.GetTimestamp();
            var result = await session.SendAsync(string.Create(CultureInfo.InvariantCulture, $"Fact {turn} is number {turn}."));
            times[turn - 1] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            calls[turn - 1] = model.Calls - first;
            if (result.Status != RunStatus.Completed)
            {
                throw new InvalidOperationException($"Turn {turn} of agent {agent} ended {result.Status}: {result.Reason}");
            }
        }

        return (times, calls);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The scripted model (which also answers summary requests), counting its calls.</summary>
    private sealed class CountingModel() : DelegatingChatClient(new ScriptedChatClient())
    {
        private long calls;

        public long Calls => Interlocked.Read(ref calls);

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref calls);
            return base.GetResponseAsync(messages, options, cancellationToken);
        }
    }
}
