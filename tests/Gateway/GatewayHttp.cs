using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace AgentGrains.Tests.Gateway;

/// <summary>Requests and assertions on the gateway's HTTP contract, written against raw JSON so the contract itself is tested.</summary>
public static class GatewayHttp
{
    public const string Agent = "assistant";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string NewSessionId() => "s-" + Guid.NewGuid().ToString("N");

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string path, string body, string? idempotencyKey = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request, Ct);
    }

    public static Task<HttpResponseMessage> SendTextAsync(this HttpClient client, string sessionId, string text, string? idempotencyKey = null) =>
        client.PostRawAsync($"/v1/sessions/{sessionId}/messages", JsonSerializer.Serialize(new { text }), idempotencyKey);

    public static async Task<string> CreateSessionAsync(this HttpClient client, string? sessionId = null, string agent = Agent)
    {
        sessionId ??= NewSessionId();
        using var response = await client.PostAsJsonAsync("/v1/sessions", new { agent, sessionId }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return sessionId;
    }

    /// <summary>Creates a session and sends it one message, so "unchanged" is checked against a non-empty history.</summary>
    public static async Task<string> CreateSessionWithHistoryAsync(this HttpClient client)
    {
        var sessionId = await client.CreateSessionAsync();
        using var response = await client.SendTextAsync(sessionId, "What is 2 + 3?");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return sessionId;
    }

    /// <summary>The session as GET serves it (raw JSON), to compare before and after a request.</summary>
    public static async Task<string> GetSessionJsonAsync(this HttpClient client, string sessionId)
    {
        using var response = await client.GetAsync($"/v1/sessions/{sessionId}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    public static async Task AssertSessionMissingAsync(this HttpClient client, string sessionId)
    {
        using var response = await client.GetAsync($"/v1/sessions/{sessionId}", Ct);
        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    /// <summary>Asserts an RFC 7807 problem with <paramref name="status"/> and returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), body);
        // Every refusal says what happened or what to do, not only its status's name.
        Assert.True(problem.TryGetProperty("detail", out var detail) && !string.IsNullOrWhiteSpace(detail.GetString()), $"The problem has no detail: {body}");
        return problem;
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
