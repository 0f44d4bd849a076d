using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Fault;

/// <summary>The chaos bench (<c>bench -- chaos</c>) shortened: three silo processes under load through their gateways while silos are killed and PostgreSQL and Redis restart.</summary>
/// <remarks>
/// It starts its own PostgreSQL and Redis (it restarts both, so it cannot share the run's servers).
/// About a minute on 2 cores: three kills 10 s apart, then each server's restart, then the checks.
/// </remarks>
[Trait("Category", "Fault")]
[Trait("Provider", "Postgres")]
public sealed class ChaosTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KillsAndServerRestarts_UnderLoadThroughTheGateways_NothingLostOrDoubledEveryEffectOnceNoRunStuck()
    {
        var seed = Environment.TickCount & 0xFFFF;
        var report = await ChaosRun.RunAsync(new ChaosPlan { Seed = seed }, output.WriteLine, Ct);
        output.WriteLine(report.Table());
        var failure = $"\n{report.Table()}\n{report.Details()}";

        Assert.True(report.Acknowledged >= 40, $"only {report.Acknowledged} messages were acknowledged: too little load to measure anything{failure}");
        Assert.True(report.Lost.Count == 0, $"lost messages{failure}");
        Assert.True(report.Twice.Count == 0, $"messages processed twice{failure}");
        Assert.True(report.DuplicateEffects.Count == 0, $"duplicate tool effects{failure}");
        Assert.True(report.MissingEffects.Count == 0, $"missing tool effects{failure}");
        Assert.True(report.ExtraSpecialistRuns.Count == 0, $"specialist calls run twice{failure}");
        Assert.True(report.Stuck.Count == 0, $"runs stuck after the faults{failure}");
        Assert.True(report.ToolCalls >= report.Acknowledged, $"fewer notify calls than acknowledged runs{failure}");
    }

    /// <remarks>
    /// Found by the chaos bench: a session whose activation outlived the database's stop read the
    /// message's idempotency key from a database that was down, and the gateway answered 500 (an
    /// unexpected error, not to be retried) instead of 503 (retry with the same key). Reads of its
    /// history, runs and events answered 500 the same way.
    /// </remarks>
    [Fact]
    public async Task PostgresDown_MessageAndReadsOfASessionStillActive_Answer503ToRetryAndTheRetryIsAcceptedOnce()
    {
        await using var postgres = await TestPostgresServer.StartAsync();
        await using var model = await FakeOpenAIServer.StartAsync();
        model.DefaultResponder = static request => FakeResponse.Text("noted: " + request.LastContent);
        var settings = new Dictionary<string, string?>(model.ModelSettings)
        {
            ["Storage:Provider"] = "PostgreSQL",
            ["ConnectionStrings:AgentGrains"] = postgres.ConnectionString,
            ["Storage:Schema"] = "down",
            ["Logging:LogLevel:Default"] = "Warning",
            // The gateway retries a transient failure this long before it answers 503.
            ["Gateway:MaxReplyWait"] = "00:00:02",
        };
        await using var silo = await NodeProcess.StartSiloAsync("silo", settings, Ct);
        using var http = new HttpClient { BaseAddress = silo.Address, Timeout = TimeSpan.FromSeconds(60) };
        using (var created = await http.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "down" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "first", "before the stop")).Status);

        postgres.Halt();
        // Reads that need the journal (the history, the list of runs) say the same; a run's event stream waits for it.
        foreach (var path in (string[])["/v1/sessions/down", "/v1/sessions/down/runs"])
        {
            using var read = await http.GetAsync(path, Ct);
            Assert.True(read.StatusCode == HttpStatusCode.ServiceUnavailable, $"GET {path} while the database is down: HTTP {(int)read.StatusCode}");
        }

        using (var events = await http.GetAsync("/v1/runs/down~1/events", HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.True(events.StatusCode == HttpStatusCode.OK, $"GET the events of down~1 while the database is down: HTTP {(int)events.StatusCode}");
        }

        var (status, body) = await SendAsync(http, "second", "while the database is down");
        await postgres.ResumeAsync();

        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"HTTP {(int)status}: {body}\n{silo.Output}");
        // The client retries with the same key, as the 503 says, until the database is back.
        var retried = (Status: HttpStatusCode.ServiceUnavailable, Body: string.Empty);
        await Eventually.TrueAsync(
            async () => (retried = await SendAsync(http, "second", "while the database is down")).Status != HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(60),
            "the message sent again with its key was answered");
        Assert.True(retried.Status == HttpStatusCode.OK, $"HTTP {(int)retried.Status}: {retried.Body}");
        using var session = await http.GetAsync("/v1/sessions/down", Ct);
        var history = (await session.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("history").EnumerateArray()
            .Where(static e => e.GetProperty("role").GetString() == "user").Select(static e => e.GetProperty("content").GetString());
        Assert.Equal(["before the stop", "while the database is down"], history);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, string key, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sessions/down/messages") { Content = JsonContent.Create(new { text }) };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }
}
