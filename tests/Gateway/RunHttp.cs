using System.Net;
using System.Text.Json;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>Requests on the runs API, written against raw JSON so the contract itself is tested.</summary>
public static class RunHttp
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A user message no other test sends, so the scripted model can tell the runs apart.</summary>
    public static string NewText(string what) => $"{what} {Guid.NewGuid():N}";

    public static Task<HttpResponseMessage> SendTextNoWaitAsync(this HttpClient client, string sessionId, string text, string? idempotencyKey = null) =>
        client.PostRawAsync($"/v1/sessions/{sessionId}/messages?wait=false", JsonSerializer.Serialize(new { text }), idempotencyKey);

    /// <summary>Sends with <c>?wait=false</c>, asserts 202 and returns the run id.</summary>
    public static async Task<string> StartRunAsync(this HttpClient client, string sessionId, string text)
    {
        using var response = await client.SendTextNoWaitAsync(sessionId, text);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202 for a message with wait=false, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("runId").GetString()!;
    }

    public static async Task<JsonElement> GetRunAsync(this HttpClient client, string runId)
    {
        using var response = await client.GetAsync($"/v1/runs/{runId}", Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200 for GET /v1/runs/{runId}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls <c>GET /v1/runs/{runId}</c> until the run has <paramref name="status"/>; returns that view.</summary>
    public static async Task<JsonElement> WaitForStatusAsync(this HttpClient client, string runId, string status)
    {
        JsonElement run = default;
        await Eventually.TrueAsync(
            async () =>
            {
                run = await client.GetRunAsync(runId);
                return run.GetProperty("status").GetString() == status;
            },
            Timeout,
            $"GET /v1/runs/{runId} shows status {status}");
        return run;
    }

    public static IEnumerable<string?> Roles(this JsonElement session) =>
        session.GetProperty("history").EnumerateArray().Select(static e => e.GetProperty("role").GetString());
}
