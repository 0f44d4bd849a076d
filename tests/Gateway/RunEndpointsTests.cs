using System.Net;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Grains;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Gateway;

/// <summary>The runs API over the real pipeline: replies, 202 and following a run, idempotency, busy sessions, approvals, cancellation; on every storage provider.</summary>
public abstract class RunEndpointsTests(RunsFixture fixture)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite(RunsFixture.Sqlite fixture) : RunEndpointsTests(fixture), IClassFixture<RunsFixture.Sqlite>
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres(RunsFixture.Postgres fixture) : RunEndpointsTests(fixture), IClassFixture<RunsFixture.Postgres>
    {
    }

    private readonly HttpClient client = fixture.Client;
    private readonly RunScriptModel model = fixture.Model;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendMessage_RunEndsInTime_Returns200WithRunIdStatusAndReply()
    {
        var sessionId = await client.CreateSessionAsync(agent: RunsFixture.Runner);
        var text = RunHttp.NewText("hello");

        using var response = await client.SendTextAsync(sessionId, text);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await GatewayHttp.ReadJsonAsync(response);
        Assert.Equal(sessionId, body.GetProperty("sessionId").GetString());
        Assert.Equal($"{sessionId}~1", body.GetProperty("runId").GetString());
        Assert.Equal("completed", body.GetProperty("status").GetString());
        Assert.Equal(RunScriptModel.Echo(text), body.GetProperty("reply").GetString());
        Assert.Equal(2, body.GetProperty("messages").GetInt64());
        var run = await client.GetRunAsync($"{sessionId}~1");
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(RunScriptModel.Echo(text), run.GetProperty("reply").GetString());
    }

    [Fact]
    public async Task SendMessage_WaitFalse_Returns202WithRunIdAndLocationThenRunCompletes()
    {
        var sessionId = await client.CreateSessionAsync(agent: RunsFixture.Runner);
        var text = RunHttp.NewText("later");
        var gate = new ModelGate();
        model.On(text, async (step, _, ct) =>
        {
            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, "finally");
        });

        using var response = await client.SendTextNoWaitAsync(sessionId, text);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await GatewayHttp.ReadJsonAsync(response);
        var runId = body.GetProperty("runId").GetString();
        Assert.Equal($"{sessionId}~1", runId);
        Assert.Equal("running", body.GetProperty("status").GetString());
        Assert.Equal($"/v1/runs/{runId}", response.Headers.Location?.OriginalString);
        await gate.WaitEnteredAsync($"run {runId} calls the model");
        Assert.Equal("running", (await client.GetRunAsync(runId!)).GetProperty("status").GetString());

        gate.Release();

        var run = await client.WaitForStatusAsync(runId!, "completed");
        Assert.Equal("finally", run.GetProperty("reply").GetString());
    }

    [Fact]
    public async Task SendMessage_ModelSlowerThanMaxReplyWait_Returns202AndRunViewShowsStepsToolsTokensAndDurations()
    {
        await using var storage = fixture.NewStorage();
        await storage.InitializeAsync();
        await using var app = new GatewayApp(
            storage,
            new Dictionary<string, string?> { ["Gateway:MaxReplyWait"] = "00:00:00.200" },
            fixture.ConfigureServices);
        using var http = app.CreateClient();
        var sessionId = await http.CreateSessionAsync(agent: RunsFixture.Runner);
        var text = RunHttp.NewText("slow");
        var gate = new ModelGate();
        model.On(text, async (step, messages, ct) =>
        {
            if (step == 0)
            {
                return FakeChatClient.ToolCall("call-noop", RunTools.Noop, """{"note":"x"}""");
            }

            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, $"after {messages[^1].Contents.OfType<FunctionResultContent>().Single().Result}");
        });

        using var response = await http.SendTextAsync(sessionId, text);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await GatewayHttp.ReadJsonAsync(response);
        var runId = accepted.GetProperty("runId").GetString()!;
        Assert.Equal("running", accepted.GetProperty("status").GetString());
        Assert.Equal($"/v1/runs/{runId}", response.Headers.Location?.OriginalString);
        await gate.WaitEnteredAsync($"run {runId} makes its second model call");
        gate.Release();
        var run = await http.WaitForStatusAsync(runId, "completed");

        Assert.Equal("after noted x", run.GetProperty("reply").GetString());
        var steps = run.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal([1, 2], steps.Select(s => s.GetProperty("step").GetInt32()));
        var call = Assert.Single(steps[0].GetProperty("toolCalls").EnumerateArray());
        Assert.Equal(RunTools.Noop, call.GetProperty("name").GetString());
        Assert.Equal("call-noop", call.GetProperty("callId").GetString());
        Assert.Equal("succeeded", call.GetProperty("status").GetString());
        Assert.Equal($"{runId}:1:0", call.GetProperty("idempotencyKey").GetString());
        Assert.True(call.GetProperty("durationMs").GetDouble() >= 0, call.ToString());
        Assert.Empty(steps[1].GetProperty("toolCalls").EnumerateArray());
        Assert.All(steps, s => Assert.Equal(RunScriptModel.InputTokensPerCall, s.GetProperty("inputTokens").GetInt64()));
        Assert.All(steps, s => Assert.True(s.GetProperty("modelDurationMs").GetDouble() >= 0, s.ToString()));
        Assert.Equal(2 * RunScriptModel.InputTokensPerCall, run.GetProperty("inputTokens").GetInt64());
        Assert.Equal(2 * RunScriptModel.OutputTokensPerCall, run.GetProperty("outputTokens").GetInt64());
        Assert.Equal(1, run.GetProperty("toolCalls").GetInt32());
        var started = run.GetProperty("startedAt").GetDateTimeOffset();
        var ended = run.GetProperty("endedAt").GetDateTimeOffset();
        Assert.True(ended >= started && started >= run.GetProperty("submittedAt").GetDateTimeOffset(), run.ToString());
        Assert.Equal((ended - started).TotalMilliseconds, run.GetProperty("durationMs").GetDouble(), 3);
        // The held second call really took the time it was held: the step duration measures the model call.
        Assert.True(steps[1].GetProperty("modelDurationMs").GetDouble() > 0, steps[1].ToString());
        Assert.Equal(["user", "assistant", "tool", "assistant"], JsonDocument.Parse(await http.GetSessionJsonAsync(sessionId)).RootElement.Roles());
    }

    [Fact]
    public async Task SendMessage_SameIdempotencyKeyTwiceWhileRunning_SameRunIdAndOneUserMessage()
    {
        var sessionId = await client.CreateSessionAsync(agent: RunsFixture.Runner);
        var text = RunHttp.NewText("once");
        var gate = new ModelGate();
        model.On(text, async (_, _, ct) =>
        {
            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, "done once");
        });
        var key = Guid.NewGuid().ToString();

        using var first = await client.SendTextNoWaitAsync(sessionId, text, key);
        using var second = await client.SendTextNoWaitAsync(sessionId, text, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var runId = (await GatewayHttp.ReadJsonAsync(first)).GetProperty("runId").GetString()!;
        Assert.Equal(runId, (await GatewayHttp.ReadJsonAsync(second)).GetProperty("runId").GetString());
        gate.Release();
        await client.WaitForStatusAsync(runId, "completed");
        using var third = await client.SendTextAsync(sessionId, text, key);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(runId, (await GatewayHttp.ReadJsonAsync(third)).GetProperty("runId").GetString());
        var session = JsonDocument.Parse(await client.GetSessionJsonAsync(sessionId)).RootElement;
        Assert.Equal(["user", "assistant"], session.Roles());
        Assert.Single(model.CallsFor(text));
        using var noSecondRun = await client.GetAsync($"/v1/runs/{sessionId}~2", Ct);
        await GatewayHttp.AssertProblemAsync(noSecondRun, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SendMessage_RejectAgentWhileRunActive_Returns409AndStoresNothing()
    {
        var sessionId = await client.CreateSessionAsync(agent: RunsFixture.Strict);
        var text = RunHttp.NewText("busy");
        var gate = new ModelGate();
        model.On(text, async (_, _, ct) =>
        {
            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, "free again");
        });
        var runId = await client.StartRunAsync(sessionId, text);
        await gate.WaitEnteredAsync($"run {runId} calls the model");
        var before = await client.GetSessionJsonAsync(sessionId);

        using var refused = await client.SendTextAsync(sessionId, RunHttp.NewText("second"));

        var problem = await GatewayHttp.AssertProblemAsync(refused, HttpStatusCode.Conflict);
        Assert.Contains(runId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
        using var noSecondRun = await client.GetAsync($"/v1/runs/{sessionId}~2", Ct);
        await GatewayHttp.AssertProblemAsync(noSecondRun, HttpStatusCode.NotFound);
        gate.Release();
        var run = await client.WaitForStatusAsync(runId, "completed");
        // The refusal stored nothing and left the active run alone: its one model call was not
        // abandoned and asked again, and its journal has no resumption.
        var events = await fixture.Grains.GetGrain<IAgentSessionGrain>(sessionId).GetRunEventsAsync(runId, 0, TimeSpan.Zero);
        Assert.Equal([RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.Finished], events.Events.Select(e => e.Type));
        Assert.Single(model.CallsFor(text));
        Assert.Equal("free again", run.GetProperty("reply").GetString());
    }

    [Fact]
    public async Task GetRun_UnknownRun_Returns404Problem()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();

        using var laterRun = await client.GetAsync($"/v1/runs/{sessionId}~2", Ct);
        using var noSession = await client.GetAsync($"/v1/runs/{GatewayHttp.NewSessionId()}~1", Ct);

        var problem = await GatewayHttp.AssertProblemAsync(laterRun, HttpStatusCode.NotFound);
        Assert.Contains($"{sessionId}~2", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await GatewayHttp.AssertProblemAsync(noSession, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("no-separator")]
    [InlineData("session~")]
    [InlineData("session~0")]
    [InlineData("session~one")]
    [InlineData("session~-1")]
    [InlineData("~1")]
    [InlineData("bad%20session~1")]
    [InlineData("-dash~1")]
    public async Task GetRun_MalformedRunId_Returns400ProblemNamingRunId(string runId)
    {
        using var response = await client.GetAsync($"/v1/runs/{runId}", Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("runId", out _), problem.ToString());
    }

    [Fact]
    public async Task Approve_ToolNeedingConfirmation_RunWaitsThenRunsTheCallAndCompletes()
    {
        var (sessionId, text, runId) = await StartDeployRunAsync();
        var waiting = await client.WaitForStatusAsync(runId, "awaiting_approval");
        var call = Assert.Single(waiting.GetProperty("steps")[0].GetProperty("toolCalls").EnumerateArray());
        Assert.Equal(("deploy-1", "awaiting_approval", "high"), (call.GetProperty("callId").GetString(), call.GetProperty("status").GetString(), call.GetProperty("risk").GetString()));
        Assert.DoesNotContain(fixture.Tools.Deploys, d => d.IdempotencyKey.StartsWith(runId + ":", StringComparison.Ordinal));

        using var decided = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":true}""");

        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        var run = await client.WaitForStatusAsync(runId, "completed");
        Assert.Equal("result: deployed prod", run.GetProperty("reply").GetString());
        Assert.Single(fixture.Tools.Deploys, d => d.IdempotencyKey == $"{runId}:1:0");
        Assert.Equal("succeeded", run.GetProperty("steps")[0].GetProperty("toolCalls")[0].GetProperty("status").GetString());
        Assert.Equal(2, model.CallsFor(text).Count);
        Assert.Equal(["user", "assistant", "tool", "assistant"], JsonDocument.Parse(await client.GetSessionJsonAsync(sessionId)).RootElement.Roles());
    }

    [Fact]
    public async Task Deny_ToolNeedingConfirmation_ModelIsToldOfTheDenialAndTheToolNeverRuns()
    {
        var (_, text, runId) = await StartDeployRunAsync();
        await client.WaitForStatusAsync(runId, "awaiting_approval");

        using var decided = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":false}""");

        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        var run = await client.WaitForStatusAsync(runId, "completed");
        Assert.Equal("denied", run.GetProperty("steps")[0].GetProperty("toolCalls")[0].GetProperty("status").GetString());
        Assert.DoesNotContain(fixture.Tools.Deploys, d => d.IdempotencyKey.StartsWith(runId + ":", StringComparison.Ordinal));
        var second = model.CallsFor(text)[^1];
        Assert.Equal(1, second.Step);
        var toolMessage = Assert.Single(second.Messages, m => m.Role == ChatRole.Tool);
        var result = Assert.Single(toolMessage.Contents.OfType<FunctionResultContent>());
        Assert.Equal("deploy-1", result.CallId);
        Assert.StartsWith("error:", result.Result?.ToString(), StringComparison.Ordinal);
        Assert.Contains("denied", result.Result?.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("result: error:", run.GetProperty("reply").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decide_UnknownCallId_Returns404AndRunStillWaits()
    {
        var (_, _, runId) = await StartDeployRunAsync();
        var before = (await client.WaitForStatusAsync(runId, "awaiting_approval")).ToString();

        using var response = await client.PostRawAsync($"/v1/runs/{runId}/approvals/no-such-call", """{"approve":true}""");

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("no-such-call", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, (await client.GetRunAsync(runId)).ToString());
        await DecideAndFinishAsync(runId);
    }

    [Fact]
    public async Task Decide_UnknownRun_Returns404()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();

        using var response = await client.PostRawAsync($"/v1/runs/{sessionId}~7/approvals/deploy-1", """{"approve":true}""");

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Decide_Twice_SecondReturns409AndTheToolRunsOnce()
    {
        var (_, _, runId) = await StartDeployRunAsync();
        await client.WaitForStatusAsync(runId, "awaiting_approval");

        using var first = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":true}""");
        using var second = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":false}""");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await GatewayHttp.AssertProblemAsync(second, HttpStatusCode.Conflict);
        var run = await client.WaitForStatusAsync(runId, "completed");
        Assert.Equal("succeeded", run.GetProperty("steps")[0].GetProperty("toolCalls")[0].GetProperty("status").GetString());
        Assert.Single(fixture.Tools.Deploys, d => d.IdempotencyKey == $"{runId}:1:0");
        using var afterEnd = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":true}""");
        await GatewayHttp.AssertProblemAsync(afterEnd, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Decide_RetriedWithTheSameIdempotencyKey_GetsTheFirstAnswerAndTheToolRunsOnce()
    {
        var (_, _, runId) = await StartDeployRunAsync();
        await client.WaitForStatusAsync(runId, "awaiting_approval");

        using var first = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":true}""", idempotencyKey: "approve-1");
        using var retry = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":true}""", idempotencyKey: "approve-1");
        using var reused = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":false}""", idempotencyKey: "approve-1");

        // A client retrying after a timeout gets the decision it made, not a 409 for its own earlier request.
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await retry.Content.ReadAsStringAsync(Ct));
        await GatewayHttp.AssertProblemAsync(reused, HttpStatusCode.UnprocessableEntity);
        await client.WaitForStatusAsync(runId, "completed");
        Assert.Single(fixture.Tools.Deploys, d => d.IdempotencyKey == $"{runId}:1:0");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"approve":null}""")]
    [InlineData("""{"approve":"yes"}""")]
    [InlineData("""{"approve":true,"reason":"looks fine"}""")]
    [InlineData("""{"aprove":true}""")]
    [InlineData("not json")]
    public async Task Decide_BadBody_Returns400AndNothingChanges(string body)
    {
        var (_, text, runId) = await StartDeployRunAsync();
        var before = (await client.WaitForStatusAsync(runId, "awaiting_approval")).ToString();

        using var response = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", body);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, (await client.GetRunAsync(runId)).ToString());
        Assert.Single(model.CallsFor(text));
        Assert.DoesNotContain(fixture.Tools.Deploys, d => d.IdempotencyKey.StartsWith(runId + ":", StringComparison.Ordinal));
        await DecideAndFinishAsync(runId);
    }

    [Fact]
    public async Task Cancel_RunningRunWithHangingModel_Returns200CancelledAndRunStaysCancelled()
    {
        var sessionId = await client.CreateSessionAsync(agent: RunsFixture.Runner);
        var text = RunHttp.NewText("hang");
        var gate = new ModelGate();
        model.On(text, async (_, _, ct) =>
        {
            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, "too late");
        });
        var runId = await client.StartRunAsync(sessionId, text);
        await gate.WaitEnteredAsync($"run {runId} calls the model");

        using var response = await client.PostAsync($"/v1/runs/{runId}/cancel", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await GatewayHttp.ReadJsonAsync(response);
        Assert.Equal("cancelled", body.GetProperty("status").GetString());
        gate.Release();
        var run = await client.GetRunAsync(runId);
        Assert.Equal("cancelled", run.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(run.GetProperty("reason").GetString()));
        Assert.Equal(JsonValueKind.Null, run.GetProperty("reply").ValueKind);
        // The session takes the next message at once: the cancelled run no longer holds it.
        using var next = await client.SendTextAsync(sessionId, RunHttp.NewText("next"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal($"{sessionId}~2", (await GatewayHttp.ReadJsonAsync(next)).GetProperty("runId").GetString());
        Assert.Equal("cancelled", (await client.GetRunAsync(runId)).GetProperty("status").GetString());
        Assert.DoesNotContain("too late", await client.GetSessionJsonAsync(sessionId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_CompletedRun_Returns409AndRunStaysCompleted()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var runId = $"{sessionId}~1";
        var before = (await client.GetRunAsync(runId)).ToString();

        using var response = await client.PostAsync($"/v1/runs/{runId}/cancel", null, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("completed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, (await client.GetRunAsync(runId)).ToString());
    }

    [Fact]
    public async Task Cancel_UnknownRun_Returns404()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();

        using var laterRun = await client.PostAsync($"/v1/runs/{sessionId}~5/cancel", null, Ct);
        using var noSession = await client.PostAsync($"/v1/runs/{GatewayHttp.NewSessionId()}~1/cancel", null, Ct);

        await GatewayHttp.AssertProblemAsync(laterRun, HttpStatusCode.NotFound);
        await GatewayHttp.AssertProblemAsync(noSession, HttpStatusCode.NotFound);
    }

    /// <summary>A run whose model calls <c>deploy</c> (call id <c>deploy-1</c>), then answers with the tool message it got.</summary>
    private async Task<(string SessionId, string Text, string RunId)> StartDeployRunAsync()
    {
        var sessionId = await client.CreateSessionAsync(agent: RunsFixture.Runner);
        var text = RunHttp.NewText("deploy");
        model.On(text, (step, messages) => step == 0
            ? FakeChatClient.ToolCall("deploy-1", RunTools.Deploy, """{"target":"prod"}""")
            : new ChatMessage(ChatRole.Assistant, $"result: {messages.Last(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result}"));
        var runId = await client.StartRunAsync(sessionId, text);
        return (sessionId, text, runId);
    }

    /// <summary>Lets a run left waiting end, so the test checks a refused request did not break it.</summary>
    private async Task DecideAndFinishAsync(string runId)
    {
        using var approved = await client.PostRawAsync($"/v1/runs/{runId}/approvals/deploy-1", """{"approve":true}""");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        await client.WaitForStatusAsync(runId, "completed");
    }
}
