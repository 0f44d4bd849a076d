using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AgentGrains.Tests.Gateway;

/// <summary>Runs on every storage provider: one nested subclass each.</summary>
public abstract class SessionEndpointsTests(GatewayFixture fixture)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite(GatewayFixture.Sqlite fixture) : SessionEndpointsTests(fixture), IClassFixture<GatewayFixture.Sqlite>
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres(GatewayFixture.Postgres fixture) : SessionEndpointsTests(fixture), IClassFixture<GatewayFixture.Postgres>
    {
    }

    private readonly HttpClient client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sessions_CreateSendGet_ReplyIsServedInHistory()
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var created = await client.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/v1/sessions/{sessionId}", created.Headers.Location?.OriginalString);
        var session = await GatewayHttp.ReadJsonAsync(created);
        Assert.Equal(sessionId, session.GetProperty("sessionId").GetString());
        Assert.Equal("assistant", session.GetProperty("agent").GetString());

        using var sent = await client.SendTextAsync(sessionId, "Hello there");
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var reply = await GatewayHttp.ReadJsonAsync(sent);
        Assert.Equal(sessionId, reply.GetProperty("sessionId").GetString());
        Assert.Equal($"{sessionId}~1", reply.GetProperty("runId").GetString());
        Assert.Equal("completed", reply.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, reply.GetProperty("reason").ValueKind);
        var replyText = reply.GetProperty("reply").GetString();
        Assert.False(string.IsNullOrWhiteSpace(replyText));

        using var got = await client.GetAsync($"/v1/sessions/{sessionId}", Ct);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        var view = await GatewayHttp.ReadJsonAsync(got);
        Assert.Equal(sessionId, view.GetProperty("sessionId").GetString());
        Assert.Equal("assistant", view.GetProperty("agent").GetString());
        var history = view.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(reply.GetProperty("messages").GetInt64(), history.Count);
        Assert.Equal("user", history[0].GetProperty("role").GetString());
        Assert.Equal("Hello there", history[0].GetProperty("content").GetString());
        Assert.True(history[0].TryGetProperty("at", out _));
        Assert.Equal("assistant", history[^1].GetProperty("role").GetString());
        Assert.Equal(replyText, history[^1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task CreateSession_WithoutSessionId_GeneratesIdThatCanBeRead()
    {
        using var created = await client.PostAsJsonAsync("/v1/sessions", new { agent = "assistant" }, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var sessionId = (await GatewayHttp.ReadJsonAsync(created)).GetProperty("sessionId").GetString();
        Assert.False(string.IsNullOrEmpty(sessionId));
        Assert.Equal($"/v1/sessions/{sessionId}", created.Headers.Location?.OriginalString);
        var view = JsonDocument.Parse(await client.GetSessionJsonAsync(sessionId)).RootElement;
        Assert.Empty(view.GetProperty("history").EnumerateArray());
    }

    [Fact]
    public async Task CreateSession_TwoWithoutSessionId_GetDifferentIds()
    {
        using var first = await client.PostAsJsonAsync("/v1/sessions", new { agent = "assistant" }, Ct);
        using var second = await client.PostAsJsonAsync("/v1/sessions", new { agent = "assistant" }, Ct);

        Assert.NotEqual(
            (await GatewayHttp.ReadJsonAsync(first)).GetProperty("sessionId").GetString(),
            (await GatewayHttp.ReadJsonAsync(second)).GetProperty("sessionId").GetString());
    }

    [Fact]
    public async Task CreateSession_ExistingForSameAgent_Returns200WithSameBodyAndKeepsHistory()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var again = await client.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId }, Ct);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Null(again.Headers.Location);
        var body = await GatewayHttp.ReadJsonAsync(again);
        Assert.Equal(sessionId, body.GetProperty("sessionId").GetString());
        Assert.Equal("assistant", body.GetProperty("agent").GetString());
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task CreateSession_ExistingForOtherAgent_Returns409AndKeepsSession()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var conflict = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayFixture.OtherAgent, sessionId }, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(conflict, HttpStatusCode.Conflict);
        Assert.Contains(sessionId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task SendMessage_SameIdempotencyKeyTwice_OneUserMessageAndIdenticalResponses()
    {
        var sessionId = await client.CreateSessionAsync();
        var key = Guid.NewGuid().ToString();

        using var first = await client.SendTextAsync(sessionId, "Remember this once", key);
        using var second = await client.SendTextAsync(sessionId, "Remember this once", key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await second.Content.ReadAsStringAsync(Ct));
        Assert.Equal($"{sessionId}~1", (await GatewayHttp.ReadJsonAsync(second)).GetProperty("runId").GetString());
        var view = JsonDocument.Parse(await client.GetSessionJsonAsync(sessionId)).RootElement;
        var history = view.GetProperty("history").EnumerateArray().ToList();
        Assert.Single(history, e => e.GetProperty("role").GetString() == "user");
        Assert.Equal((await GatewayHttp.ReadJsonAsync(first)).GetProperty("messages").GetInt64(), history.Count);
    }

    [Fact]
    public async Task SendMessage_IdempotencyKeyReusedWithOtherText_Returns422AndHistoryUnchanged()
    {
        var sessionId = await client.CreateSessionAsync();
        using var first = await client.SendTextAsync(sessionId, "First request", "reused-key");
        var before = await client.GetSessionJsonAsync(sessionId);

        using var second = await client.SendTextAsync(sessionId, "A different request", "reused-key");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var problem = await GatewayHttp.AssertProblemAsync(second, HttpStatusCode.UnprocessableEntity);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("'reused-key'", detail, StringComparison.Ordinal);
        // In the API's words: not the key as stored, the grain or the grain call.
        Assert.DoesNotContain("http:", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("agent-session", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Grain", detail, StringComparison.Ordinal);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task SendMessage_WaitFalseRepeatOfAFinishedRun_ReportsItsRealStatus()
    {
        var sessionId = await client.CreateSessionAsync();
        using var first = await client.SendTextAsync(sessionId, "What is 2 + 3?", "finished-key");
        var reply = await GatewayHttp.ReadJsonAsync(first);
        Assert.Equal("completed", reply.GetProperty("status").GetString());

        using var repeat = await client.PostRawAsync($"/v1/sessions/{sessionId}/messages?wait=false", """{"text":"What is 2 + 3?"}""", "finished-key");

        // The run ended long ago: the repeat reports it as it is, with its reply, not as running.
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal(reply.ToString(), (await GatewayHttp.ReadJsonAsync(repeat)).ToString());
    }

    [Fact]
    public async Task GetSession_SpecialistSession_IsReadableByTheIdRunViewsName()
    {
        var sessionId = await client.CreateSessionAsync(agent: "twenty-questions");
        using var sent = await client.SendTextAsync(sessionId, "play with secret: owl");
        var runId = (await GatewayHttp.ReadJsonAsync(sent)).GetProperty("runId").GetString()!;
        using var run = await client.GetAsync($"/v1/runs/{runId}", Ct);
        // A specialist run's id is its session's id and its number there: research-demo~1.1.0~1.
        var childRunId = (await GatewayHttp.ReadJsonAsync(run)).GetProperty("children")[0].GetProperty("runId").GetString()!;
        var specialistSession = childRunId[..childRunId.LastIndexOf('~')];
        Assert.Contains('~', specialistSession);

        using var response = await client.GetAsync($"/v1/sessions/{specialistSession}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = await GatewayHttp.ReadJsonAsync(response);
        Assert.Equal(specialistSession, view.GetProperty("sessionId").GetString());
        Assert.Equal("answerer", view.GetProperty("agent").GetString());
    }

    [Fact]
    public async Task CreateSession_IdWithSpecialistSeparator_Returns400AndNothingCreated()
    {
        var sessionId = GatewayHttp.NewSessionId() + "~answerer";

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId }, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("sessionId", out _), problem.ToString());
        await client.AssertSessionMissingAsync(sessionId);
    }

    [Fact]
    public async Task SendMessage_DifferentIdempotencyKeys_BothMessagesRecorded()
    {
        var sessionId = await client.CreateSessionAsync();

        using var first = await client.SendTextAsync(sessionId, "Same text", "key-1");
        using var second = await client.SendTextAsync(sessionId, "Same text", "key-2");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal($"{sessionId}~1", (await GatewayHttp.ReadJsonAsync(first)).GetProperty("runId").GetString());
        Assert.Equal($"{sessionId}~2", (await GatewayHttp.ReadJsonAsync(second)).GetProperty("runId").GetString());
        var history = JsonDocument.Parse(await client.GetSessionJsonAsync(sessionId)).RootElement.GetProperty("history").EnumerateArray();
        Assert.Equal(2, history.Count(e => e.GetProperty("role").GetString() == "user"));
    }

    [Fact]
    public async Task SendMessage_IdempotencyKeyOverTheLimit_Returns400AndHistoryUnchanged()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.SendTextAsync(sessionId, "hello", new string('k', AgentGrains.GrainInterfaces.Messages.IdempotencyKey.MaxLength + 1));

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _), problem.ToString());
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }
}
