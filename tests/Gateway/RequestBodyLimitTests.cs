using System.Net;
using System.Text.Json;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>Bodies over <c>Gateway:MaxRequestBodyBytes</c> get 413 whether or not they declare their length; on every storage provider.</summary>
public abstract class RequestBodyLimitTests(StorageUnderTest storage) : IAsyncLifetime
{
    private const int SmallLimit = 1024;

    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : RequestBodyLimitTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : RequestBodyLimitTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task SendMessage_BodyOverConfiguredLimit_Returns413AndHistoryUnchanged()
    {
        await using var app = SmallLimitApp();
        using var client = app.CreateClient();
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        using var response = await client.SendTextAsync(sessionId, new string('a', SmallLimit));

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task SendMessage_ChunkedBodyOverConfiguredLimit_Returns413AndHistoryUnchanged()
    {
        await using var app = SmallLimitApp();
        using var client = app.CreateClient();
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);
        using var content = new ChunkedJsonContent(JsonSerializer.Serialize(new { text = new string('a', 4 * SmallLimit) }));
        Assert.Null(content.Headers.ContentLength);

        using var response = await client.PostAsync($"/v1/sessions/{sessionId}/messages", content, TestContext.Current.CancellationToken);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task SendMessage_ChunkedBodyUnderConfiguredLimit_Returns200()
    {
        await using var app = SmallLimitApp();
        using var client = app.CreateClient();
        var sessionId = await client.CreateSessionAsync();
        using var content = new ChunkedJsonContent(JsonSerializer.Serialize(new { text = new string('a', SmallLimit / 2) }));

        using var response = await client.PostAsync($"/v1/sessions/{sessionId}/messages", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("completed", (await GatewayHttp.ReadJsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task CreateSession_BodyOverConfiguredLimit_Returns413AndCreatesNothing()
    {
        await using var app = SmallLimitApp();
        using var client = app.CreateClient();
        var sessionId = GatewayHttp.NewSessionId();
        var body = JsonSerializer.Serialize(new { agent = "assistant", sessionId, padding = new string(' ', SmallLimit) });

        using var response = await client.PostRawAsync("/v1/sessions", body);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        await client.AssertSessionMissingAsync(sessionId);
    }

    [Fact]
    public async Task SendMessage_BodyOverDefaultLimit_Returns413AndHistoryUnchanged()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var before = await client.GetSessionJsonAsync(sessionId);

        // 256 KiB is the default limit; the JSON around the text pushes this just over it.
        using var response = await client.SendTextAsync(sessionId, new string('a', 256 * 1024));

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
    }

    [Fact]
    public async Task SendMessage_BodyUnderDefaultLimit_Returns200()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();
        var sessionId = await client.CreateSessionAsync();

        using var response = await client.SendTextAsync(sessionId, new string('a', 200 * 1024));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("completed", (await GatewayHttp.ReadJsonAsync(response)).GetProperty("status").GetString());
    }

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private GatewayApp SmallLimitApp() => new(
        storage,
        new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = SmallLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}
