using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace AgentGrains.Tests.Gateway;

/// <summary>Approvals without a model: the offline assistant's <c>send_message</c> waits for a person, and what it sends shows in <c>/v1/outbox</c>.</summary>
public abstract class OutboxTests(GatewayFixture fixture)
{
    private readonly GatewayFixture fixture = fixture;

    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite(GatewayFixture.Sqlite fixture) : OutboxTests(fixture), IClassFixture<GatewayFixture.Sqlite>
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres(GatewayFixture.Postgres fixture) : OutboxTests(fixture), IClassFixture<GatewayFixture.Postgres>
    {
    }

    private readonly HttpClient client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendMessage_Approved_AnswersAtOnceAwaitingApprovalThenSendsOnce()
    {
        var sessionId = await client.CreateSessionAsync();
        var text = $"the deploy {Guid.NewGuid():N} is done";

        // The message waits for its reply, but not for a person: 202 as soon as the run pauses for approval.
        var clock = Stopwatch.StartNew();
        using var sent = await client.SendTextAsync(sessionId, $"Send a message to ada@example.com: {text}");
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"The message waited {clock.Elapsed} for a person's approval.");
        var accepted = await GatewayHttp.ReadJsonAsync(sent);
        Assert.Equal("awaiting_approval", accepted.GetProperty("status").GetString());
        var runId = accepted.GetProperty("runId").GetString()!;
        var run = await client.GetRunAsync(runId);
        var call = Assert.Single(run.GetProperty("steps")[0].GetProperty("toolCalls").EnumerateArray());
        Assert.Equal(("send_message", "awaiting_approval", "medium"), (call.GetProperty("name").GetString(), call.GetProperty("status").GetString(), call.GetProperty("risk").GetString()));
        Assert.DoesNotContain(await OutboxAsync(), m => m.GetProperty("runId").GetString() == runId);

        using var approved = await client.PostRawAsync($"/v1/runs/{runId}/approvals/{call.GetProperty("callId").GetString()}", """{"approve":true}""");

        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var done = await client.WaitForStatusAsync(runId, "completed");
        Assert.Equal("Your message to ada@example.com was sent.", done.GetProperty("reply").GetString());
        var message = Assert.Single(await OutboxAsync(), m => m.GetProperty("runId").GetString() == runId);
        Assert.Equal(("ada@example.com", text, sessionId, $"{runId}:1:0"), (message.GetProperty("to").GetString(), message.GetProperty("text").GetString(), message.GetProperty("sessionId").GetString(), message.GetProperty("idempotencyKey").GetString()));
        // Kept in Orleans grain state where Storage:Provider says, with the journals.
        Assert.Equal(1L, Convert.ToInt64(await fixture.Storage.ScalarAsync($"SELECT count(*) FROM {fixture.Storage.Table("orleans_grain_state")} WHERE state_name = 'outbox'"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task SendMessage_Denied_NothingSentAndTheAssistantSaysSo()
    {
        var sessionId = await client.CreateSessionAsync();
        using var sent = await client.SendTextAsync(sessionId, "Send a message to bob@example.com: please reboot prod");
        var runId = (await GatewayHttp.ReadJsonAsync(sent)).GetProperty("runId").GetString()!;
        var run = await client.WaitForStatusAsync(runId, "awaiting_approval");
        var callId = run.GetProperty("steps")[0].GetProperty("toolCalls")[0].GetProperty("callId").GetString();

        using var denied = await client.PostRawAsync($"/v1/runs/{runId}/approvals/{callId}", """{"approve":false}""");

        Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        var done = await client.WaitForStatusAsync(runId, "completed");
        Assert.StartsWith("Sorry, that did not work: the call was not run: denied", done.GetProperty("reply").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(await OutboxAsync(), m => m.GetProperty("runId").GetString() == runId);
    }

    private async Task<List<JsonElement>> OutboxAsync()
    {
        using var response = await client.GetAsync("/v1/outbox", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await GatewayHttp.ReadJsonAsync(response)).GetProperty("messages").EnumerateArray()];
    }
}
