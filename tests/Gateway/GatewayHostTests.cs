using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Runtime;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Gateway;

/// <summary>The silo executable as a whole: probes, OpenAPI, options, restart over the same database; on every storage provider.</summary>
public abstract class GatewayHostTests(StorageUnderTest storage) : IAsyncLifetime
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : GatewayHostTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : GatewayHostTests(StorageUnderTest.Postgres())
    {
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Healthz_Running_Returns200()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/healthz", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Cluster_OneSiloWithASession_ListsItActiveWithItsActivation()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();
        var silo = app.Services.GetRequiredService<ILocalSiloDetails>();
        using var created = await client.PostAsync("/v1/sessions", JsonContent.Create(new { agent = "assistant", sessionId = "cluster-view" }), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var response = await client.GetAsync("/v1/cluster", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var silos = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("silos").EnumerateArray().ToList();
        var self = Assert.Single(silos, s => s.GetProperty("id").GetString() == silo.Name);
        Assert.Equal("active", self.GetProperty("status").GetString());
        Assert.Equal(silo.SiloAddress.ToString(), self.GetProperty("address").GetString());
        Assert.True(self.GetProperty("lastHeartbeat").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-10));
        Assert.True(self.GetProperty("activations").GetInt32() >= 1, self.ToString());
    }

    [Fact]
    public async Task Readyz_SiloActive_Returns200()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/readyz", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_SiloStopped_Returns503WhileHealthzStays200()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();

        await app.Services.GetRequiredService<Silo>().StopAsync(Ct);

        using var ready = await client.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var alive = await client.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task SendMessage_SiloStopped_Returns503Problem()
    {
        // The gateway retries a call to an unreachable silo until Gateway:MaxReplyWait ends; a short one keeps the test short.
        await using var app = new GatewayApp(storage, new Dictionary<string, string?> { ["Gateway:MaxReplyWait"] = "00:00:02" });
        using var client = app.CreateClient();
        var sessionId = await client.CreateSessionAsync();

        await app.Services.GetRequiredService<Silo>().StopAsync(Ct);

        using var response = await client.SendTextAsync(sessionId, "anyone?");
        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task ApiReference_Page_ShowsTheOpenApiDocumentWithItsScriptServedLocally()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();

        using var page = await client.GetAsync("/api-reference/", Ct);
        using var script = await client.GetAsync("/api-reference/scalar.js", Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<title>AgentGrains gateway API</title>", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        // The page works without reaching the internet: its script comes from the gateway.
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync(Ct)).Length > 100_000);
    }

    [Fact]
    public async Task OpenApi_Document_ListsTheSessionAndRunRoutesWithTheirStatuses()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/openapi/v1.json", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await GatewayHttp.ReadJsonAsync(response);
        var paths = document.GetProperty("paths");
        var create = paths.GetProperty("/v1/sessions").GetProperty("post");
        Assert.Equal("CreateSession", create.GetProperty("operationId").GetString());
        AssertResponses(create, "200", "201", "400", "409", "413");
        var send = paths.GetProperty("/v1/sessions/{id}/messages").GetProperty("post");
        Assert.Equal("SendMessage", send.GetProperty("operationId").GetString());
        AssertResponses(send, "200", "202", "400", "404", "409", "413", "422", "503", "504");
        Assert.Contains(send.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "wait");
        Assert.Contains(send.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key");
        var get = paths.GetProperty("/v1/sessions/{id}").GetProperty("get");
        Assert.Equal("GetSession", get.GetProperty("operationId").GetString());
        AssertResponses(get, "200", "404");

        var run = paths.GetProperty("/v1/runs/{runId}").GetProperty("get");
        Assert.Equal("GetRun", run.GetProperty("operationId").GetString());
        AssertResponses(run, "200", "400", "404", "503");
        var events = paths.GetProperty("/v1/runs/{runId}/events").GetProperty("get");
        Assert.Equal("GetRunEvents", events.GetProperty("operationId").GetString());
        AssertResponses(events, "200", "400", "404");
        Assert.True(events.GetProperty("responses").GetProperty("200").TryGetProperty("content", out var content) && content.TryGetProperty("text/event-stream", out _), events.ToString());
        Assert.Contains(events.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Last-Event-ID");
        var decide = paths.GetProperty("/v1/runs/{runId}/approvals/{callId}").GetProperty("post");
        Assert.Equal("DecideApproval", decide.GetProperty("operationId").GetString());
        AssertResponses(decide, "200", "400", "404", "409");
        var cancel = paths.GetProperty("/v1/runs/{runId}/cancel").GetProperty("post");
        Assert.Equal("CancelRun", cancel.GetProperty("operationId").GetString());
        AssertResponses(cancel, "200", "400", "404", "409");
    }

    [Fact]
    public async Task Restart_NewHostOverSameFile_ServesSameHistory()
    {
        string sessionId;
        string before;
        await using (var first = new GatewayApp(storage))
        {
            using var client = first.CreateClient();
            sessionId = await client.CreateSessionWithHistoryAsync();
            using var second = await client.SendTextAsync(sessionId, "And 4 * 5?");
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            before = await client.GetSessionJsonAsync(sessionId);
        }

        await using (var restarted = new GatewayApp(storage))
        {
            using var client = restarted.CreateClient();
            Assert.Equal(before, await client.GetSessionJsonAsync(sessionId));
            var history = JsonDocument.Parse(before).RootElement.GetProperty("history").EnumerateArray();
            Assert.Equal(["What is 2 + 3?", "And 4 * 5?"], history.Where(e => e.GetProperty("role").GetString() == "user").Select(e => e.GetProperty("content").GetString()));

            // The restarted silo also takes new messages on the old session.
            using var third = await client.SendTextAsync(sessionId, "Thanks");
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
            // Run numbers go on from the stored ones, and the runs from before the restart are still served.
            Assert.Equal($"{sessionId}~3", (await GatewayHttp.ReadJsonAsync(third)).GetProperty("runId").GetString());
            using var firstRun = await client.GetAsync($"/v1/runs/{sessionId}~1", Ct);
            Assert.Equal("completed", (await GatewayHttp.ReadJsonAsync(firstRun)).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Start_InvalidGatewayOptions_FailsNamingTheSetting()
    {
        // The real executable, as a user starts it: it must refuse to start and say what to fix.
        var silo = Path.Combine(AppContext.BaseDirectory, "AgentGrains.Silo.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { silo, "--Gateway:MaxRequestBodyBytes=0", "--urls=http://127.0.0.1:0" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in storage.Settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var errors = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("Gateway:MaxRequestBodyBytes", await output + await errors, StringComparison.Ordinal);
    }

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static void AssertResponses(JsonElement operation, params string[] statuses)
    {
        var responses = operation.GetProperty("responses");
        foreach (var status in statuses)
        {
            Assert.True(responses.TryGetProperty(status, out _), $"{operation.GetProperty("operationId")} does not list {status}: {responses}");
        }
    }
}
