using System.Collections.Concurrent;
using System.ComponentModel;
using System.Globalization;
using AgentGrains.Grains;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Hosting;
using AgentGrains.Runtime.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Bench;

/// <summary>The runtime's cost of one durable agent step, next to one bare commit of the same database.</summary>
/// <remarks>
/// <para>Each run is two steps: the model (answering at once, no network) calls a no-op tool free of
/// side effects, which runs before the reply is journaled and commits with it; then it answers,
/// which journals the reply and ends the run. So a step is: a planning turn, the model call, the tool
/// call (step 1), and one journaling turn with its commit. The figure is what the engine adds around
/// a model call, which in production is hundreds of milliseconds or more.</para>
/// <para>Per-step latency is the time between consecutive journal events of a run as the grain stamps
/// them (<c>run.started</c> → step 1's <c>model.reply</c> → step 2's <c>model.reply</c>), read with
/// <c>GetRunEventsAsync</c> after the measurement so the reads do not load it. Steps/s counts completed
/// runs × 2 over the measured time. The run's own wall time (submit, both steps, the reply to the
/// caller) divided by 2 is shown too.</para>
/// </remarks>
/// <para>With <c>delegate</c>, step 1 calls a specialist written as code (<c>echo</c>) instead of the
/// tool: each call is a durable run of its own in a session of its own (its request message, its
/// one step, its end), linked in the manager's journal. The extra column is the call's duration as
/// the manager journals it, from the moment it sends the request to the moment it reads the result.</para>
internal static class StepsBench
{
    private const int StepsPerRun = 2;
    private const string Agent = "bench-steps";
    private const string Specialist = "echo";
    private static readonly int[] RunCounts = [1, 64];

    public static async Task RunAsync(int seconds, bool delegated = false)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        TestPostgresServer? server = null;
        try
        {
            Console.WriteLine($"AgentGrains steps bench: {Environment.ProcessorCount} cores, {seconds} s per figure; each run = {StepsPerRun} steps ({(delegated ? "a call of a code specialist" : "no-op tool")}, then answer)");
            Console.WriteLine();
            var rows = new List<string>();

            await using (var bare = new BareSqlite(Path.Combine(directory, "bare.db"), flush: true))
            {
                var commits = await MeasureBareAsync("bare SQLite commit", duration, bare.CommitAsync);
                var sqlite = new Dictionary<string, string?>
                {
                    ["Storage:Path"] = Path.Combine(directory, "grains.db"),
                    ["Storage:FlushEachCommit"] = "true",
                };
                await MeasureStepsAsync("SQLite (WAL, synchronous=FULL)", sqlite, commits, duration, delegated, rows);
            }

            server = await TestPostgresServer.StartAsync();
            await using (var bare = await BarePostgres.CreateAsync(server.ConnectionString, "bench_bare"))
            {
                var commits = await MeasureBareAsync("bare PostgreSQL commit", duration, bare.CommitAsync);
                var postgres = new Dictionary<string, string?>
                {
                    ["Storage:Provider"] = "PostgreSQL",
                    ["ConnectionStrings:AgentGrains"] = server.ConnectionString,
                    ["Storage:Schema"] = "bench_steps",
                };
                await MeasureStepsAsync("PostgreSQL (throwaway server)", postgres, commits, duration, delegated, rows);
            }

            Console.WriteLine();
            Console.WriteLine("| storage | concurrent runs | steps/s | step p50 ms | step p99 ms | run wall time ÷ 2, p50 ms | step 1 call p50 ms | bare commit p50 ms (same callers) | bare commits/s (same callers) | step p50 ÷ bare p50 | steps/s ÷ bare commits/s |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
            rows.ForEach(Console.WriteLine);
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            TestPostgresServer.TryDelete(directory);
        }
    }

    private static async Task<Dictionary<int, Measurement.Result>> MeasureBareAsync(string name, TimeSpan duration, Func<Task> commit)
    {
        var results = new Dictionary<int, Measurement.Result>();
        foreach (var callers in RunCounts)
        {
            results[callers] = await Measurement.RunAsync($"{name} (one-row insert)", callers, duration, (_, _) => commit());
            Console.WriteLine(results[callers]);
        }

        return results;
    }

    private static async Task MeasureStepsAsync(
        string storage, Dictionary<string, string?> settings, Dictionary<int, Measurement.Result> bare, TimeSpan duration, bool delegated, List<string> rows)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddAgentGrainsSilo().AddAgentSessions();
        builder.Services.AddSingleton<IChatClient>(new NoopToolModel(delegated ? Specialist : NoopToolModel.Tool));
        builder.Services.AddSingleton(AgentTool.Create(Noop, NoopToolModel.Tool));
        builder.Services.AddSingleton(CodeSpecialist.Define<EchoRequest, string>(Specialist, "Echoes its text.", static (request, _) => Task.FromResult(request.Text ?? string.Empty)));
        builder.Services.AddSingleton(delegated
            ? new AgentDefinition(Agent, "Call echo, then answer.", []) { Specialists = [Specialist] }
            : new AgentDefinition(Agent, "Call noop, then answer.", [NoopToolModel.Tool]));
        using var host = builder.Build();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IGrainFactory>();

        foreach (var concurrent in RunCounts)
        {
            var sessions = Enumerable.Range(0, concurrent).Select(c => grains.GetGrain<IAgentSessionGrain>($"steps-{concurrent}-{c}")).ToArray();
            foreach (var session in sessions)
            {
                await session.CreateAsync(Agent);
            }

            var runs = new ConcurrentBag<(IAgentSessionGrain Session, string RunId)>();
            var result = await Measurement.RunAsync(
                $"agent run ({StepsPerRun} steps)",
                concurrent,
                duration,
                async (c, i) =>
                {
                    var sent = await sessions[c].SendAsync("go", TimeSpan.FromMinutes(1));
                    if (sent.Status != RunStatus.Completed)
                    {
                        throw new InvalidOperationException($"Run {sent.RunId} ended {sent.Status}: {sent.Reason}");
                    }

                    if (i >= 0)
                    {
                        runs.Add((sessions[c], sent.RunId));
                    }
                });
            Console.WriteLine(result);

            var steps = new List<double>();
            var wall = new List<double>();
            var calls = new List<double>();
            foreach (var (session, runId) in runs)
            {
                var journal = await session.GetRunEventsAsync(runId, 0, TimeSpan.Zero);
                var marks = journal.Events.Where(static e => e.Type is RunEventTypes.Started or RunEventTypes.ModelReply).Select(static e => e.At).ToList();
                for (var s = 1; s < marks.Count; s++)
                {
                    steps.Add((marks[s] - marks[s - 1]).TotalMilliseconds);
                }

                var view = await session.GetRunAsync(runId);
                wall.Add(view!.DurationMs!.Value / StepsPerRun);
                calls.Add(view.Steps[0].ToolCalls[0].DurationMs ?? double.NaN);
            }

            steps.Sort();
            wall.Sort();
            calls.Sort();
            var stepsPerSecond = result.PerSecond * StepsPerRun;
            var p50 = Percentile(steps, 0.50);
            rows.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"| {storage} | {concurrent} | {stepsPerSecond:N0} | {p50:0.000} | {Percentile(steps, 0.99):0.000} | {Percentile(wall, 0.50):0.000} | {Percentile(calls, 0.50):0.000} | {bare[concurrent].P50Ms:0.000} | {bare[concurrent].PerSecond:N0} | {p50 / bare[concurrent].P50Ms:0.00} | {stepsPerSecond / bare[concurrent].PerSecond:0.00} |"));
        }

        await host.StopAsync();
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    [Description("Does nothing.")]
    private static string Noop() => "ok";

    /// <summary>The request of the <c>echo</c> specialist.</summary>
    /// <param name="Text">What to echo.</param>
    private sealed record EchoRequest([property: Description("What to echo.")] string? Text);

    /// <summary>Calls its tool (<c>noop</c>, or the <c>echo</c> specialist) when the last message is the user's, answers when it is the tool's result: two steps per run, no waiting.</summary>
    private sealed class NoopToolModel(string tool) : IChatClient
    {
        public const string Tool = "noop";

        private readonly Dictionary<string, object?> arguments = tool == Tool ? [] : new() { ["text"] = "go" };

        private static readonly UsageDetails Usage = new() { InputTokenCount = 10, OutputTokenCount = 2 };

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var last = messages.Last();
            var reply = last.Role == ChatRole.User
                ? new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-" + Guid.NewGuid().ToString("N")[..8], tool, new Dictionary<string, object?>(arguments))])
                : new ChatMessage(ChatRole.Assistant, "done");
            return Task.FromResult(new ChatResponse(reply) { Usage = Usage });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
