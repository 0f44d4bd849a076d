using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AgentGrains.Grains.Showcase;
using AgentGrains.Grains.Models;
using AgentGrains.GrainInterfaces.Diagnostics;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Gateway;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace AgentGrains.Tests.Telemetry;

/// <summary>One trace per user message: the gateway's request, the grain call, the run, its steps, model and tool calls, and the specialists' runs on another silo.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class TelemetryTracingTests : IAsyncLifetime
{
    private const string Question = "How do idempotency keys keep tool calls exactly once, and how do reminders wake stalled runs?";

    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ResearchMessage_OneTraceFromTheRequestThroughRunsStepsModelAndToolsToSpecialistRunsOnAnotherSilo()
    {
        // Every silo of the cluster and the gateway run in this process: one exporter sees them all.
        // Other tests may run meanwhile; only this request's trace is looked at.
        var spans = new SpanCollector();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(TelemetryNames.AgentGrains, TelemetryNames.OrleansApplication, TelemetryNames.OrleansRuntime)
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        await using var cluster = await SessionCluster.StartAsync(storage, silos: 2, activityPropagation: true);
        var (managerSilo, specialistSilo) = (cluster.Cluster.Silos[0], cluster.Cluster.Silos[1]);
        var sessionId = GatewayHttp.NewSessionId();
        var manager = cluster.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        await cluster.ActivateOnAsync(managerSilo, manager, () => manager.CreateAsync(ShowcaseAgents.ResearchName));
        // The specialists' sessions of run 1 ({run}.{step}.{call}) live on the other silo: the manager's calls cross.
        foreach (var call in new[] { "1.1.0", "1.1.1", "1.1.2", "1.2.0" })
        {
            var specialist = cluster.Grains.GetGrain<IAgentSessionGrain>($"{sessionId}~{call}");
            await cluster.ActivateOnAsync(specialistSilo, specialist, specialist.GetInfoAsync);
        }

        await using var gateway = await ClusterGateway.StartAsync(cluster.Cluster.Client);
        using var client = gateway.CreateClient();
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{sessionId}/messages")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { text = Question }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        using var response = await client.SendAsync(request, Ct);

        var body = await GatewayHttp.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("completed", body.GetProperty("status").GetString());
        List<Activity> trace = [];
        try
        {
            await Eventually.TrueAsync(
                () =>
                {
                    trace = [.. spans.Snapshot().Where(s => s.TraceId == traceId)];
                    return Task.FromResult(trace.Count(static s => IsOperation(s, "invoke_agent")) == 4 && trace.Exists(IsRequest));
                },
                TimeSpan.FromSeconds(20),
                "the manager's run, its two searchers' and its analyst's runs and the HTTP request have ended in the message's trace");
        }
        catch (TimeoutException ex)
        {
            // What did arrive, to see where the chain broke.
            throw new TimeoutException($"{ex.Message}\n{string.Join('\n', trace.Select(static s => $"{s.SpanId} <- {s.ParentSpanId} {s.Source.Name} {s.Kind} {s.DisplayName}"))}", ex);
        }

        var byId = trace.ToDictionary(static s => s.SpanId);
        IEnumerable<Activity> Ancestors(Activity span)
        {
            for (var at = span; byId.TryGetValue(at.ParentSpanId, out var parent); at = parent)
            {
                yield return parent;
            }
        }

        List<Activity> ChildrenOf(Activity parent, string operation) =>
            [.. trace.Where(s => s.ParentSpanId == parent.SpanId && IsOperation(s, operation)).OrderBy(static s => s.StartTimeUtc)];

        var http = Assert.Single(trace, IsRequest);
        var runs = trace.Where(static s => IsOperation(s, "invoke_agent")).ToList();
        var managerRun = Assert.Single(runs, static r => Tag(r, "gen_ai.agent.name") == ShowcaseAgents.ResearchName);
        Assert.Equal("invoke_agent research", managerRun.DisplayName);
        Assert.Equal($"{sessionId}~1", Tag(managerRun, "agentgrains.run.id"));
        Assert.Equal("completed", Tag(managerRun, "agentgrains.run.status"));
        // Request → the gateway's grain call → the session's side of it → the run (in later grain timer turns).
        var managerChain = Ancestors(managerRun).ToList();
        Assert.Equal(http, managerChain[^1]);
        Assert.Contains(managerChain, static s => s.Source.Name == TelemetryNames.OrleansApplication && s.Kind == ActivityKind.Client);
        Assert.Contains(managerChain, static s => s.Source.Name == TelemetryNames.OrleansApplication && s.Kind == ActivityKind.Server);

        // Three steps: the searches, the analyst, the answer; each with its model call.
        var managerSteps = ChildrenOf(managerRun, "agentgrains.step");
        Assert.Equal([1, 2, 3], managerSteps.Select(static s => Convert.ToInt32(s.GetTagItem("agentgrains.step.number"), CultureInfo.InvariantCulture)));
        foreach (var step in managerSteps)
        {
            AssertChat(Assert.Single(ChildrenOf(step, "chat")));
        }

        var searches = ChildrenOf(managerSteps[0], "execute_tool");
        Assert.Equal(["execute_tool searcher", "execute_tool searcher"], searches.Select(static s => s.DisplayName));
        var analysis = Assert.Single(ChildrenOf(managerSteps[1], "execute_tool"));
        Assert.Equal("execute_tool analyst", analysis.DisplayName);
        Assert.Empty(ChildrenOf(managerSteps[2], "execute_tool"));
        foreach (var tool in searches.Append(analysis))
        {
            Assert.False(string.IsNullOrEmpty(Tag(tool, "gen_ai.tool.call.id")));
            Assert.Equal(Tag(tool, "gen_ai.tool.name"), tool.DisplayName["execute_tool ".Length..]);
        }

        // Each specialist's run hangs under the manager's tool call that started it, through the grain call to the other silo.
        var specialistRuns = runs.Where(r => r != managerRun).ToList();
        Assert.Equal(3, specialistRuns.Count);
        var managerSiloName = Tag(managerRun, "agentgrains.silo");
        foreach (var run in specialistRuns)
        {
            var chain = Ancestors(run).ToList();
            var call = Assert.Single(chain, s => searches.Contains(s) || s == analysis);
            Assert.Equal(Tag(call, "gen_ai.tool.name"), Tag(run, "gen_ai.agent.name"));
            Assert.Equal($"{sessionId}~1", Tag(run, "agentgrains.run.parent_id"));
            Assert.Contains(managerRun, chain);
            Assert.Equal(http, chain[^1]);
            Assert.Contains(chain.TakeWhile(s => s != call), static s => s.Source.Name == TelemetryNames.OrleansApplication && s.Kind == ActivityKind.Server);
            Assert.NotNull(managerSiloName);
            Assert.NotEqual(managerSiloName, Tag(run, "agentgrains.silo"));
            Assert.Equal("completed", Tag(run, "agentgrains.run.status"));
            var steps = ChildrenOf(run, "agentgrains.step");
            Assert.NotEmpty(steps);
            foreach (var step in steps)
            {
                AssertChat(Assert.Single(ChildrenOf(step, "chat")));
            }
        }

        // The searchers' own tool: corpus_search, under their first step.
        var searcherRuns = specialistRuns.Where(static r => Tag(r, "gen_ai.agent.name") == ShowcaseAgents.SearcherName).ToList();
        Assert.Equal(2, searcherRuns.Count);
        foreach (var run in searcherRuns)
        {
            var corpus = Assert.Single(ChildrenOf(ChildrenOf(run, "agentgrains.step")[0], "execute_tool"));
            Assert.Equal("execute_tool corpus_search", corpus.DisplayName);
            Assert.Equal("corpus_search", Tag(corpus, "gen_ai.tool.name"));
            Assert.False(string.IsNullOrEmpty(Tag(corpus, "gen_ai.tool.call.id")));
            Assert.Equal(ActivityStatusCode.Unset, corpus.Status);
        }
    }

    [Fact]
    public async Task RunInterruptedByARestart_ResumedOnTheNewCluster_StaysInItsMessagesTrace()
    {
        using var testSource = new ActivitySource("AgentGrains.Tests.Telemetry");
        var spans = new SpanCollector();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(testSource.Name, TelemetryNames.AgentGrains, TelemetryNames.OrleansApplication)
            .AddInMemoryExporter(spans)
            .Build();
        // The first model call waits until the cluster is down; every later one passes.
        var gate = new ModelGate();
        var model = new GatedModel(gate);
        await using var cluster = await SessionCluster.StartAsync(storage, services: s => s.AddSingleton<IChatClient>(model), activityPropagation: true);
        var sessionId = GatewayHttp.NewSessionId();
        var runId = RunIds.Format(sessionId, 1);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        await session.CreateAsync(GatewayHttp.Agent);
        ActivityTraceId traceId;
        using (var message = testSource.StartActivity("send message"))
        {
            Assert.NotNull(message);
            traceId = message.TraceId;
            await session.SubmitAsync("What is 6*7?");
        }

        await gate.WaitEnteredAsync("the run's first model call is held");
        // Stopped gracefully while the model call is held: the journal has the run and its trace context, nothing else.
        await using var restarted = await cluster.RestartAsync(graceful: true, whileDown: gate.Release);
        var resumed = restarted.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        await resumed.GetInfoAsync();
        var run = await resumed.WaitForRunAsync(runId, TimeSpan.FromSeconds(20));

        Assert.Equal(RunStatus.Completed, run?.Status);
        List<Activity> runSpans = [];
        await Eventually.TrueAsync(
            () =>
            {
                runSpans = [.. spans.Snapshot().Where(s => IsOperation(s, "invoke_agent") && Tag(s, "agentgrains.run.id") == runId)];
                return Task.FromResult(runSpans.Exists(static s => Tag(s, "agentgrains.run.status") == "completed"));
            },
            TimeSpan.FromSeconds(10),
            "the resumed run's span has ended");
        // The first activation's span ends when it deactivates, still running; the resumed one ends with the run. Both in the message's trace.
        Assert.Equal(2, runSpans.Count);
        Assert.All(runSpans, s => Assert.Equal(traceId, s.TraceId));
        Assert.Equal(["running", "completed"], runSpans.OrderBy(static s => s.StartTimeUtc).Select(static s => Tag(s, "agentgrains.run.status")));
        var last = runSpans.MaxBy(static s => s.StartTimeUtc)!;
        Assert.StartsWith("resumed from its journal", Tag(last, "agentgrains.run.resumed"), StringComparison.Ordinal);
        var steps = spans.Snapshot().Where(s => s.ParentSpanId == last.SpanId && IsOperation(s, "agentgrains.step")).ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, s => Assert.Equal(traceId, s.TraceId));
    }

    private static void AssertChat(Activity chat)
    {
        Assert.Equal("chat", Tag(chat, "gen_ai.operation.name"));
        Assert.StartsWith("chat", chat.DisplayName, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(Tag(chat, "gen_ai.request.model")), chat.DisplayName);
        Assert.False(string.IsNullOrEmpty(Tag(chat, "gen_ai.provider.name")), chat.DisplayName);
        Assert.True(Convert.ToInt64(chat.GetTagItem("gen_ai.usage.input_tokens"), CultureInfo.InvariantCulture) > 0, "input tokens");
        Assert.True(Convert.ToInt64(chat.GetTagItem("gen_ai.usage.output_tokens"), CultureInfo.InvariantCulture) > 0, "output tokens");
    }

    private static bool IsRequest(Activity span) => span.Source.Name == "Microsoft.AspNetCore" && span.Kind == ActivityKind.Server;

    private static bool IsOperation(Activity span, string operation) =>
        span.Source.Name == TelemetryNames.AgentGrains
        && (operation == "agentgrains.step" ? span.OperationName == operation : Tag(span, "gen_ai.operation.name") == operation);

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();

    /// <summary>The scripted model behind a gate: each call waits until the gate is released.</summary>
    private sealed class GatedModel(ModelGate gate) : DelegatingChatClient(new ScriptedChatClient())
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            await gate.PassAsync(cancellationToken);
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
    }
}
