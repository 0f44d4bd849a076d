using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentGrains.Grains.Showcase;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentGrains.Tests.Gateway;

/// <summary>The agents as MCP tools at <c>/mcp</c>, driven by the MCP client over the silo app's HTTP pipeline.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed partial class McpServerTests(GatewayFixture.Sqlite fixture, RunsFixture.Sqlite runs)
    : IClassFixture<GatewayFixture.Sqlite>, IClassFixture<RunsFixture.Sqlite>
{
    [Fact]
    public async Task ListTools_ShowsEveryAgentWithMessageAndSessionIdArguments()
    {
        await using var mcp = await ConnectAsync(fixture.App);

        var tools = await mcp.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        var names = tools.Select(static t => t.Name).ToList();
        Assert.Contains("assistant", names);
        Assert.Contains("research", names);
        var assistant = tools.Single(static t => t.Name == "assistant");
        var schema = assistant.JsonSchema;
        Assert.Equal("message", schema.GetProperty("required")[0].GetString());
        Assert.True(schema.GetProperty("properties").TryGetProperty("sessionId", out _));
    }

    [Fact]
    public async Task CallAssistant_Arithmetic_ReturnsTheReplyWithSessionAndRunIds()
    {
        await using var mcp = await ConnectAsync(fixture.App);

        var result = await CallAsync(mcp, "assistant", "What is (2+3)*4?");

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("The answer is 20.", Text(result));
        var structured = result.StructuredContent!.Value;
        Assert.Equal("completed", structured.GetProperty("status").GetString());
        var sessionId = structured.GetProperty("sessionId").GetString()!;
        Assert.Equal($"{sessionId}~1", structured.GetProperty("runId").GetString());
        Assert.Equal("The answer is 20.", structured.GetProperty("reply").GetString());
    }

    [Fact]
    public async Task CallAssistant_WithSessionId_ContinuesTheConversation()
    {
        await using var mcp = await ConnectAsync(fixture.App);

        var first = await CallAsync(mcp, "assistant", "My name is Ada.");
        var sessionId = first.StructuredContent!.Value.GetProperty("sessionId").GetString()!;
        var second = await CallAsync(mcp, "assistant", "What is my name?", sessionId);

        Assert.NotEqual(true, second.IsError);
        Assert.Contains("Ada", Text(second), StringComparison.Ordinal);
        Assert.Equal(sessionId, second.StructuredContent!.Value.GetProperty("sessionId").GetString());
        Assert.Equal($"{sessionId}~2", second.StructuredContent!.Value.GetProperty("runId").GetString());
    }

    [Fact]
    public async Task CallAssistant_WithUserId_RemembersAcrossSessionsOfThatUserOnly()
    {
        await using var mcp = await ConnectAsync(fixture.App);
        var user = $"mcp-{Guid.NewGuid():N}";
        var ct = TestContext.Current.CancellationToken;

        var told = await mcp.CallToolAsync("assistant", new Dictionary<string, object?> { ["message"] = "My name is Ada.", ["userId"] = user }, cancellationToken: ct);
        var asked = await mcp.CallToolAsync("assistant", new Dictionary<string, object?> { ["message"] = "What is my name?", ["userId"] = user }, cancellationToken: ct);
        var other = await mcp.CallToolAsync("assistant", new Dictionary<string, object?> { ["message"] = "What is my name?", ["userId"] = user + "-other" }, cancellationToken: ct);

        Assert.Equal("Got it: your name is Ada. I'll remember that.", Text(told));
        Assert.Equal("Your name is Ada.", Text(asked));
        Assert.NotEqual(told.StructuredContent!.Value.GetProperty("sessionId").GetString(), asked.StructuredContent!.Value.GetProperty("sessionId").GetString());
        Assert.Equal("I don't know what your name is.", Text(other));

        // A session continues only as its own user's.
        var sessionId = told.StructuredContent!.Value.GetProperty("sessionId").GetString();
        var foreign = await mcp.CallToolAsync("assistant", new Dictionary<string, object?> { ["message"] = "Hi", ["sessionId"] = sessionId, ["userId"] = user + "-other" }, cancellationToken: ct);
        Assert.True(foreign.IsError);
        Assert.Contains("does not belong to user", Text(foreign), StringComparison.Ordinal);
        var invalid = await mcp.CallToolAsync("assistant", new Dictionary<string, object?> { ["message"] = "Hi", ["userId"] = "not valid" }, cancellationToken: ct);
        Assert.True(invalid.IsError);
        Assert.StartsWith("userId may contain only", Text(invalid), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a session id!")]
    [InlineData("~starts-badly")]
    public async Task CallAssistant_InvalidSessionId_IsAToolError(string sessionId)
    {
        await using var mcp = await ConnectAsync(fixture.App);

        var result = await CallAsync(mcp, "assistant", "hello", sessionId);

        Assert.True(result.IsError);
        Assert.Contains("sessionId", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallAssistant_UnknownSession_IsAToolErrorAndCreatesNothing()
    {
        await using var mcp = await ConnectAsync(fixture.App);
        var sessionId = "mcp-missing-" + Guid.NewGuid().ToString("N");

        var result = await CallAsync(mcp, "assistant", "hello", sessionId);

        Assert.True(result.IsError);
        Assert.Contains("does not exist", Text(result), StringComparison.Ordinal);
        await fixture.Client.AssertSessionMissingAsync(sessionId);
    }

    [Fact]
    public async Task CallOtherAgent_WithAnAssistantSession_IsAToolErrorNamingTheSessionsAgent()
    {
        await using var mcp = await ConnectAsync(fixture.App);
        var sessionId = await fixture.Client.CreateSessionAsync(agent: "assistant");

        var result = await CallAsync(mcp, GatewayFixture.OtherAgent, "hello", sessionId);

        Assert.True(result.IsError);
        Assert.Contains("call the 'assistant' tool", Text(result), StringComparison.Ordinal);
        var runs = (await fixture.Client.GetJsonAsync($"/v1/sessions/{sessionId}/runs")).GetProperty("runs");
        Assert.Equal(0, runs.GetArrayLength());
    }

    [Fact]
    public async Task CallAssistant_MessageMissing_IsAToolError()
    {
        await using var mcp = await ConnectAsync(fixture.App);

        var result = await mcp.CallToolAsync("assistant", new Dictionary<string, object?>(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.Contains("message is required", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallAssistant_ToolNeedingApproval_ReturnsAtOnceWithTheRunAndHowToApprove()
    {
        await using var mcp = await ConnectAsync(fixture.App);

        var result = await CallAsync(mcp, "assistant", "Send a message to ada@example.com: hi");

        Assert.NotEqual(true, result.IsError);
        var structured = result.StructuredContent!.Value;
        Assert.Equal("awaiting_approval", structured.GetProperty("status").GetString());
        var runId = structured.GetProperty("runId").GetString()!;
        Assert.Contains($"POST /v1/runs/{runId}/approvals/", Text(result), StringComparison.Ordinal);
        Assert.Equal("awaiting_approval", (await fixture.Client.GetRunAsync(runId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task CallResearch_WithProgressToken_SendsProgressPerEventAndReturnsTheCitedReport()
    {
        await using var mcp = await ConnectAsync(fixture.App);
        var progress = new Collector();

        var result = await mcp.CallToolAsync(
            "research",
            new Dictionary<string, object?> { ["message"] = "How do idempotency keys and fencing tokens keep tool calls exactly once, and how do reminders wake stalled runs?" },
            progress,
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        var reply = Text(result);
        var cited = Citation().Matches(reply).Select(static m => m.Groups["id"].Value).Distinct().ToList();
        var corpus = ShowcaseCorpus.Documents.Select(static d => d.Id).ToHashSet();
        Assert.True(cited.Count >= 2, reply);
        Assert.All(cited, id => Assert.Contains(id, corpus));
        Assert.Contains("[leases-and-fencing]", reply, StringComparison.Ordinal);
        Assert.Contains("\nSources:\n", reply, StringComparison.Ordinal);

        // The client handles notifications concurrently, and drops those it handles after the result
        // (the whole sequence, in order, is in the raw stream test below): their order is the progress value's.
        var values = progress.Values.OrderBy(static v => v.Progress).ToList();
        var messages = values.Select(static v => v.Message ?? string.Empty).ToList();
        var all = string.Join("\n", messages);
        Assert.True(values.Count > 0 && values[0].Progress == 1 && messages[0] == "run started", all);
        Assert.Equal(values.Count, values.Select(static v => v.Progress).Distinct().Count());
        foreach (var expected in new[] { "step 1: the model calls searcher", "calls the specialist searcher", "[searcher] " })
        {
            Assert.True(messages.Any(m => m.Contains(expected, StringComparison.Ordinal)), $"No progress message with '{expected}':\n{all}");
        }
    }

    [Fact]
    public async Task CallResearch_RawStream_EveryEventAsProgressInOrderThenTheResult()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent(
                """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"research","arguments":{"message":"How do idempotency keys and fencing tokens keep tool calls exactly once, and how do reminders wake stalled runs?"},"_meta":{"progressToken":"research-1"}}}""",
                System.Text.Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");

        using var response = await fixture.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(response.IsSuccessStatusCode, body);
        var messages = body.Split('\n').Where(static l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(static l => JsonDocument.Parse(l["data: ".Length..]).RootElement.Clone()).ToList();
        var notifications = messages[..^1];
        Assert.All(notifications, static n => Assert.Equal("notifications/progress", n.GetProperty("method").GetString()));
        Assert.All(notifications, static n => Assert.Equal("research-1", n.GetProperty("params").GetProperty("progressToken").GetString()));
        Assert.Equal(Enumerable.Range(1, notifications.Count).Select(static i => (double)i), notifications.Select(static n => n.GetProperty("params").GetProperty("progress").GetDouble()));
        var lines = notifications.Select(static n => n.GetProperty("params").GetProperty("message").GetString()!).ToList();
        var all = string.Join("\n", lines);
        Assert.True(lines[0] == "run started" && lines[^1] == "run completed", all);
        Assert.True(lines.Count(static l => l == "step 1: calls the specialist searcher") >= 2, all);
        Assert.True(lines.IndexOf("step 2: calls the specialist analyst") < lines.IndexOf("[analyst] run completed"), all);
        Assert.Contains("step 3: the model replied: ", lines[^2], StringComparison.Ordinal);
        var result = messages[^1];
        Assert.Equal(7, result.GetProperty("id").GetInt32());
        Assert.False(result.GetProperty("result").GetProperty("isError").GetBoolean());
        Assert.Contains("[leases-and-fencing]", result.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallTool_RequestCancelled_CancelsTheRun()
    {
        var sessionId = await runs.Client.CreateSessionAsync(agent: RunsFixture.Runner);
        var text = RunHttp.NewText("mcp-cancel");
        var gate = new ModelGate();
        runs.Model.On(text, async (step, _, ct) =>
        {
            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, "never");
        });
        await using var mcp = await ConnectAsync(runs.App);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var call = CallUntilAsync(mcp, RunsFixture.Runner, text, sessionId, cancellation.Token);
        await gate.WaitEnteredAsync("the run calls the model");
        await cancellation.CancelAsync();

        // The client closes the call's request and gives up at once (how it fails depends on its HTTP handler).
        await Assert.ThrowsAnyAsync<Exception>(() => call);
        await ModelGate.WithinAsync(gate.Cancelled, "the run's model call is cancelled");
        var run = await runs.Client.WaitForStatusAsync($"{sessionId}~1", "cancelled");
        Assert.Equal("cancelled", run.GetProperty("status").GetString());
    }

    [Fact]
    public async Task CallTool_RunSlowerThanMaxReplyWait_ReturnsItsStatusAndWhereToFollowIt()
    {
        await using var storage = runs.NewStorage();
        await storage.InitializeAsync();
        await using var app = new GatewayApp(storage, new Dictionary<string, string?> { ["Gateway:MaxReplyWait"] = "00:00:00.300" }, runs.ConfigureServices);
        var text = RunHttp.NewText("mcp-slow");
        var gate = new ModelGate();
        runs.Model.On(text, async (step, _, ct) =>
        {
            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, "at last");
        });
        await using var mcp = await ConnectAsync(app);

        var result = await CallAsync(mcp, RunsFixture.Runner, text);

        Assert.NotEqual(true, result.IsError);
        var structured = result.StructuredContent!.Value;
        var runId = structured.GetProperty("runId").GetString()!;
        Assert.Equal("running", structured.GetProperty("status").GetString());
        Assert.Contains($"GET /v1/runs/{runId}", Text(result), StringComparison.Ordinal);
        gate.Release();
        using var http = app.CreateClient();
        Assert.Equal("at last", (await http.WaitForStatusAsync(runId, "completed")).GetProperty("reply").GetString());
    }

    [Fact]
    public async Task CallTool_RunFails_IsAToolErrorWithTheReason()
    {
        var text = RunHttp.NewText("mcp-fail");
        runs.Model.On(text, (step, _, _) => Task.FromException<ChatMessage>(new InvalidOperationException("the model broke")));
        await using var mcp = await ConnectAsync(runs.App);

        var result = await CallAsync(mcp, RunsFixture.Runner, text);

        Assert.True(result.IsError);
        Assert.Equal("failed", result.StructuredContent!.Value.GetProperty("status").GetString());
        Assert.StartsWith("The run ended failed: ", Text(result), StringComparison.Ordinal);
    }

    private static Task<McpClient> ConnectAsync(GatewayApp app) => ConnectAsync(app.CreateClient());

    /// <summary>An MCP client of the gateway <paramref name="http"/> reaches (it owns <paramref name="http"/>).</summary>
    internal static async Task<McpClient> ConnectAsync(HttpClient http)
    {
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = new Uri(http.BaseAddress!, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp },
            http,
            ownsHttpClient: true);
        return await McpClient.CreateAsync(transport, cancellationToken: TestContext.Current.CancellationToken);
    }

    internal static Task<CallToolResult> CallAsync(McpClient mcp, string tool, string message, string? sessionId = null) =>
        CallUntilAsync(mcp, tool, message, sessionId, TestContext.Current.CancellationToken);

    private static Task<CallToolResult> CallUntilAsync(McpClient mcp, string tool, string message, string? sessionId, CancellationToken cancellationToken)
    {
        var arguments = new Dictionary<string, object?> { ["message"] = message };
        if (sessionId is not null)
        {
            arguments["sessionId"] = sessionId;
        }

        return mcp.CallToolAsync(tool, arguments, cancellationToken: cancellationToken).AsTask();
    }

    internal static string Text(CallToolResult result) => ((TextContentBlock)result.Content[0]).Text;

    [GeneratedRegex(@"\[(?<id>[a-z0-9-]+)\]")]
    private static partial Regex Citation();

    /// <summary>Collects progress notifications as they arrive (on the client's receiving tasks, not a synchronization context).</summary>
    private sealed class Collector : IProgress<ProgressNotificationValue>
    {
        private readonly ConcurrentQueue<ProgressNotificationValue> values = new();

        public IReadOnlyList<ProgressNotificationValue> Values => [.. values];

        public void Report(ProgressNotificationValue value) => values.Enqueue(value);
    }
}
