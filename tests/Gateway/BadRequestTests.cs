using System.Net;

namespace AgentGrains.Tests.Gateway;

/// <summary>Bad input gets a 4xx problem and never changes what is stored.</summary>
/// <remarks>Runs on every storage provider: one nested subclass each.</remarks>
public abstract class BadRequestTests(GatewayFixture fixture)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite(GatewayFixture.Sqlite fixture) : BadRequestTests(fixture), IClassFixture<GatewayFixture.Sqlite>
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres(GatewayFixture.Postgres fixture) : BadRequestTests(fixture), IClassFixture<GatewayFixture.Postgres>
    {
    }

    private readonly HttpClient client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("{\"text\":\"unterminated")]
    [InlineData("{\"text\":\"hi\"")]
    [InlineData("{text:\"hi\"}")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task SendMessage_MalformedJson_Returns400AndHistoryUnchanged(string body)
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.PostRawAsync($"/v1/sessions/{sessionId}/messages", body);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Theory]
    [InlineData("{\"text\":42}")]
    [InlineData("{\"text\":true}")]
    [InlineData("{\"text\":[\"hi\"]}")]
    [InlineData("{\"text\":{\"value\":\"hi\"}}")]
    [InlineData("[\"hi\"]")]
    [InlineData("\"hi\"")]
    [InlineData("null")]
    [InlineData("{\"text\":\"hi\",\"txt\":\"typo\"}")]
    public async Task SendMessage_WrongJsonTypes_Returns400AndHistoryUnchanged(string body)
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.PostRawAsync($"/v1/sessions/{sessionId}/messages", body);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        // The detail helps the client without naming server types.
        Assert.DoesNotContain("System.", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Theory]
    [InlineData("{\"text\":\"\"}")]
    [InlineData("{\"text\":\"   \\t\\n \"}")]
    [InlineData("{\"text\":null}")]
    [InlineData("{}")]
    public async Task SendMessage_EmptyText_Returns400ValidationProblemNamingTextAndHistoryUnchanged(string body)
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.PostRawAsync($"/v1/sessions/{sessionId}/messages", body);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("text", out var messages), problem.ToString());
        Assert.NotEmpty(messages.EnumerateArray());
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task SendMessage_NotJsonContentType_Returns415AndHistoryUnchanged()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.PostRawAsync($"/v1/sessions/{sessionId}/messages", "{\"text\":\"hi\"}", contentType: "text/plain");

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task SendMessage_FormBodyAsCurlDashDSends_Returns415SayingToSendJsonAndHistoryUnchanged()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.PostRawAsync($"/v1/sessions/{sessionId}/messages", "{\"text\":\"hi\"}", contentType: "application/x-www-form-urlencoded");

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("Content-Type: application/json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task SendMessage_WrongMethod_Returns405NamingTheAllowedMethod()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.PutAsync($"/v1/sessions/{sessionId}/messages", new StringContent("{\"text\":\"hi\"}", System.Text.Encoding.UTF8, "application/json"), Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Contains("allows POST", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("1")]
    [InlineData("")]
    public async Task SendMessage_WaitNeitherTrueNorFalse_Returns400NamingWaitAndHistoryUnchanged(string wait)
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.PostRawAsync($"/v1/sessions/{sessionId}/messages?wait={wait}", "{\"text\":\"hi\"}");

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("wait", out _), problem.ToString());
        Assert.Contains("wait=false", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task UnknownRoute_Returns404PointingToTheApiDocument()
    {
        using var response = await client.GetAsync("/v1/sesions", Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("/openapi/v1.json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendMessage_TwoIdempotencyKeys_Returns400AndHistoryUnchanged()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{sessionId}/messages")
        {
            Content = new StringContent("{\"text\":\"hi\"}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", ["first-key", "second-key"]);

        using var response = await client.SendAsync(request, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _), problem.ToString());
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Theory]
    [InlineData("/openapi/v2.json")]
    [InlineData("/openapi/v1.yaml")]
    [InlineData("/openapi/")]
    public async Task UnknownOpenApiDocument_Returns404Problem(string path)
    {
        using var response = await client.GetAsync(path, Ct);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SendMessage_UnknownSession_Returns404AndSessionStillMissing()
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var response = await client.SendTextAsync(sessionId, "Is anyone there?");

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(sessionId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await client.AssertSessionMissingAsync(sessionId);
    }

    [Fact]
    public async Task SendMessage_UnknownSessionWithIdempotencyKey_Returns404AndLaterCreateStartsEmpty()
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var response = await client.SendTextAsync(sessionId, "Too early", "early-key");
        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);

        // The refused message was never queued: the session, once created, starts empty and the key is unused.
        await client.CreateSessionAsync(sessionId);
        Assert.Contains("\"history\":[]", await client.GetSessionJsonAsync(sessionId), StringComparison.Ordinal);
        using var retry = await client.SendTextAsync(sessionId, "On time", "early-key");
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var body = await GatewayHttp.ReadJsonAsync(retry);
        Assert.Equal(($"{sessionId}~1", "completed"), (body.GetProperty("runId").GetString(), body.GetProperty("status").GetString()));
        Assert.Contains("On time", await client.GetSessionJsonAsync(sessionId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSession_UnknownSession_Returns404ProblemAndStaysMissing()
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var response = await client.GetAsync($"/v1/sessions/{sessionId}", Ct);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
        await client.AssertSessionMissingAsync(sessionId);
    }

    [Fact]
    public async Task CreateSession_UnknownAgent_Returns400AndCreatesNothing()
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var response = await client.PostRawAsync("/v1/sessions", $"{{\"agent\":\"no-such-agent\",\"sessionId\":\"{sessionId}\"}}");

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("no-such-agent", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await client.AssertSessionMissingAsync(sessionId);
    }

    [Theory]
    [InlineData("{\"agent\":\"assistant\",\"sessionId\":\"SID\"")]
    [InlineData("{\"agent\":7,\"sessionId\":\"SID\"}")]
    [InlineData("{\"agent\":\"assistant\",\"sessionId\":\"SID\",\"sesionId\":\"typo\"}")]
    [InlineData("{\"agent\":\"  \",\"sessionId\":\"SID\"}")]
    [InlineData("{\"sessionId\":\"SID\"}")]
    public async Task CreateSession_BadBody_Returns400AndCreatesNothing(string body)
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var response = await client.PostRawAsync("/v1/sessions", body.Replace("SID", sessionId, StringComparison.Ordinal));

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        await client.AssertSessionMissingAsync(sessionId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("-leading-dash")]
    [InlineData("é")]
    [InlineData("x{129}")]
    public async Task CreateSession_InvalidSessionId_Returns400NamingSessionId(string sessionId)
    {
        if (sessionId == "x{129}")
        {
            sessionId = new string('x', 129);
        }

        using var response = await client.PostRawAsync("/v1/sessions", System.Text.Json.JsonSerializer.Serialize(new { agent = "assistant", sessionId }));

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("sessionId", out _), problem.ToString());
    }

    [Fact]
    public async Task CreateSession_LongestValidSessionId_Returns201()
    {
        var sessionId = "a.b_c:d-" + new string('x', 120);

        using var response = await client.PostRawAsync("/v1/sessions", System.Text.Json.JsonSerializer.Serialize(new { agent = "assistant", sessionId }));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await client.GetSessionJsonAsync(sessionId);
    }

    [Fact]
    public async Task GetSession_InvalidId_Returns400()
    {
        using var response = await client.GetAsync("/v1/sessions/bad%20id", Ct);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task UnknownRoute_Returns404Problem()
    {
        using var response = await client.GetAsync("/v1/nothing-here", Ct);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }
}
