using System.Net;
using System.Text.Json;
using AgentGrains.Grains.Showcase;

namespace AgentGrains.Tests.Gateway;

/// <summary>The list endpoints (agents, sessions, a session's runs) over the real pipeline; on every storage provider.</summary>
/// <remarks>The class's tests share one database: each checks its own sessions among whatever else is listed.</remarks>
public abstract class ListEndpointsTests(GatewayFixture fixture)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite(GatewayFixture.Sqlite fixture) : ListEndpointsTests(fixture), IClassFixture<GatewayFixture.Sqlite>
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres(GatewayFixture.Postgres fixture) : ListEndpointsTests(fixture), IClassFixture<GatewayFixture.Postgres>
    {
    }

    private readonly HttpClient client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<string> Ids(IEnumerable<JsonElement> items, string property = "sessionId") =>
        [.. items.Select(i => i.GetProperty(property).GetString()!)];

    [Fact]
    public async Task ListAgents_Showcase_ManagerShowsItsSpecialistsAndSpecialistsTheirDescription()
    {
        var agents = (await client.GetJsonAsync("/v1/agents")).GetProperty("agents").EnumerateArray().ToList();

        var names = agents.Select(static a => a.GetProperty("name").GetString()!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "assistant", GatewayFixture.OtherAgent, "research", "searcher", "analyst", "twenty-questions", "answerer" });
        var research = agents.Single(static a => a.GetProperty("name").GetString() == ShowcaseAgents.ResearchName);
        Assert.Equal(["searcher", "analyst"], research.GetProperty("specialists").EnumerateArray().Select(static s => s.GetString()));
        Assert.False(research.GetProperty("isSpecialist").GetBoolean());
        Assert.Equal(JsonValueKind.Null, research.GetProperty("description").ValueKind);
        Assert.StartsWith("You are a research manager.", research.GetProperty("instructions").GetString(), StringComparison.Ordinal);
        Assert.True(research.GetProperty("instructions").GetString()!.Length <= 201, "instructions are summarised");
        var searcher = agents.Single(static a => a.GetProperty("name").GetString() == ShowcaseAgents.SearcherName);
        Assert.True(searcher.GetProperty("isSpecialist").GetBoolean());
        Assert.Contains("corpus", searcher.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal([CorpusSearchTool.Name], searcher.GetProperty("tools").EnumerateArray().Select(static t => t.GetString()));
        var assistant = agents.Single(static a => a.GetProperty("name").GetString() == "assistant");
        Assert.Empty(assistant.GetProperty("specialists").EnumerateArray());
        Assert.NotEmpty(assistant.GetProperty("tools").EnumerateArray());
    }

    [Fact]
    public async Task ListSessions_MoreThanOnePage_EverySessionOnceInIdOrderIncludingOneJustCreated()
    {
        var prefix = GatewayHttp.NewSessionId();
        var mine = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            mine.Add(await client.CreateSessionAsync($"{prefix}-{i}"));
        }

        var pages = await client.AllPagesAsync("/v1/sessions?limit=3", "sessions");

        Assert.True(pages.Count >= 3, $"7 sessions or more come in pages of 3; got {pages.Count} page(s)");
        Assert.All(pages.SkipLast(1), p => Assert.Equal(3, p.Count));
        var listed = Ids(pages.SelectMany(static p => p));
        Assert.Equal(listed.Order(StringComparer.Ordinal).Distinct(StringComparer.Ordinal), listed);
        Assert.Subset(listed.ToHashSet(), mine.ToHashSet());
        var first = pages.SelectMany(static p => p).Single(s => s.GetProperty("sessionId").GetString() == mine[0]);
        Assert.Equal("assistant", first.GetProperty("agent").GetString());
        Assert.Equal("idle", first.GetProperty("status").GetString());
        Assert.Equal(0, first.GetProperty("runs").GetInt64());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("activeRunId").ValueKind);
        Assert.True(first.GetProperty("createdAt").GetDateTimeOffset() <= first.GetProperty("lastActivityAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task ListSessions_ByAgent_OnlyThatAgentsSessions()
    {
        var assistant = await client.CreateSessionAsync();
        var other = await client.CreateSessionAsync(agent: GatewayFixture.OtherAgent);

        var listed = (await client.AllPagesAsync($"/v1/sessions?agent={GatewayFixture.OtherAgent}&limit=100", "sessions")).SelectMany(static p => p).ToList();

        Assert.Contains(other, Ids(listed));
        Assert.DoesNotContain(assistant, Ids(listed));
        Assert.All(listed, s => Assert.Equal(GatewayFixture.OtherAgent, s.GetProperty("agent").GetString()));
    }

    [Fact]
    public async Task ListSessions_AfterResearchRun_SpecialistSessionsOnlyWithIncludeSpecialists()
    {
        var sessionId = await client.CreateSessionAsync(agent: ShowcaseAgents.ResearchName);
        using var sent = await client.SendTextAsync(sessionId, "What do idempotency keys do, and how do leases stop a paused owner?");
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

        var plain = Ids((await client.AllPagesAsync("/v1/sessions?limit=100", "sessions")).SelectMany(static p => p));
        var searchers = (await client.AllPagesAsync($"/v1/sessions?agent={ShowcaseAgents.SearcherName}&include=specialists&limit=100", "sessions")).SelectMany(static p => p).ToList();

        Assert.Contains(sessionId, plain);
        Assert.DoesNotContain(plain, id => id.Contains('~', StringComparison.Ordinal));
        var mine = Ids(searchers).Where(id => id.StartsWith(sessionId + "~1.", StringComparison.Ordinal)).ToList();
        Assert.InRange(mine.Count, 2, 3);
        Assert.All(searchers, s => Assert.Equal(ShowcaseAgents.SearcherName, s.GetProperty("agent").GetString()));
        Assert.Empty((await client.GetJsonAsync($"/v1/sessions?agent={ShowcaseAgents.SearcherName}&limit=100")).GetProperty("sessions").EnumerateArray());

        // A specialist's session has runs of its own, listed like any session's.
        var runs = (await client.GetJsonAsync($"/v1/sessions/{mine[0]}/runs")).GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([$"{mine[0]}~1"], Ids(runs, "runId"));
        Assert.Equal(ShowcaseAgents.SearcherName, runs[0].GetProperty("agent").GetString());
    }

    [Fact]
    public async Task ListRuns_SeveralRuns_NewestFirstInPagesWithStatusesAndReplies()
    {
        var sessionId = await client.CreateSessionAsync();
        foreach (var text in new[] { "My name is Ada.", "What is (2+3)*4?", "What is my name?" })
        {
            using var sent = await client.SendTextAsync(sessionId, text);
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        var pages = await client.AllPagesAsync($"/v1/sessions/{sessionId}/runs?limit=2", "runs");

        Assert.Equal([2, 1], pages.Select(static p => p.Count));
        var runs = pages.SelectMany(static p => p).ToList();
        Assert.Equal([$"{sessionId}~3", $"{sessionId}~2", $"{sessionId}~1"], Ids(runs, "runId"));
        Assert.All(runs, r =>
        {
            Assert.Equal("completed", r.GetProperty("status").GetString());
            Assert.Equal("assistant", r.GetProperty("agent").GetString());
            Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("reply").GetString()));
            Assert.True(r.GetProperty("endedAt").GetDateTimeOffset() >= r.GetProperty("startedAt").GetDateTimeOffset());
        });
        Assert.Equal("What is (2+3)*4?", runs[1].GetProperty("input").GetString());
        Assert.Contains("20", runs[1].GetProperty("reply").GetString(), StringComparison.Ordinal);
        var session = (await client.AllPagesAsync("/v1/sessions?limit=100", "sessions")).SelectMany(static p => p).Single(s => s.GetProperty("sessionId").GetString() == sessionId);
        Assert.Equal(3, session.GetProperty("runs").GetInt64());
    }

    [Fact]
    public async Task ListRuns_SessionWithoutRuns_EmptyLastPage()
    {
        var sessionId = await client.CreateSessionAsync();

        var page = await client.GetJsonAsync($"/v1/sessions/{sessionId}/runs");

        Assert.Empty(page.GetProperty("runs").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task ListRuns_UnknownSession_Returns404AndCreatesNothing()
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var response = await client.GetAsync($"/v1/sessions/{sessionId}/runs", Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(sessionId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await client.AssertSessionMissingAsync(sessionId);
        Assert.DoesNotContain(sessionId, Ids((await client.AllPagesAsync("/v1/sessions?limit=100", "sessions")).SelectMany(static p => p)));
    }

    [Theory]
    [InlineData("/v1/sessions?limit=0", "limit")]
    [InlineData("/v1/sessions?limit=101", "limit")]
    [InlineData("/v1/sessions?limit=ten", "limit")]
    [InlineData("/v1/sessions?limit=-1", "limit")]
    [InlineData("/v1/sessions?cursor=not*base64", "cursor")]
    [InlineData("/v1/sessions?cursor=cnVuczoy", "cursor")] // the runs listing's cursor "runs:2"
    [InlineData("/v1/sessions?cursor=", "cursor")]
    [InlineData("/v1/sessions?agent=", "agent")]
    [InlineData("/v1/sessions?include=everything", "include")]
    [InlineData("/v1/sessions/s-1/runs?limit=1000", "limit")]
    [InlineData("/v1/sessions/s-1/runs?cursor=c2Vzc2lvbnM6YQ", "cursor")] // the sessions listing's cursor "sessions:a"
    [InlineData("/v1/sessions/s-1/runs?cursor=cnVuczp4", "cursor")] // "runs:x"
    [InlineData("/v1/sessions/bad%20id/runs", "id")]
    public async Task List_BadPagingInput_Returns400NamingTheParameterWithWhatToSend(string path, string parameter)
    {
        using var response = await client.GetAsync(path, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
        Assert.Contains(parameter, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListSessions_UnknownAgent_Returns400NamingTheKnownAgents()
    {
        using var response = await client.GetAsync("/v1/sessions?agent=asistant", Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("asistant", detail, StringComparison.Ordinal);
        Assert.Contains("assistant", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_Document_DescribesTheListRoutesTheirParametersAndStatuses()
    {
        var paths = (await client.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");

        var agents = paths.GetProperty("/v1/agents").GetProperty("get");
        var sessions = paths.GetProperty("/v1/sessions").GetProperty("get");
        var runs = paths.GetProperty("/v1/sessions/{id}/runs").GetProperty("get");

        Assert.Equal("ListAgents", agents.GetProperty("operationId").GetString());
        Assert.Equal("ListSessions", sessions.GetProperty("operationId").GetString());
        Assert.Equal("ListSessionRuns", runs.GetProperty("operationId").GetString());
        Assert.Subset(Responses(agents), new HashSet<string> { "200", "503" });
        Assert.Subset(Responses(sessions), new HashSet<string> { "200", "400" });
        Assert.Subset(Responses(runs), new HashSet<string> { "200", "400", "404" });
        Assert.Subset(Parameters(sessions), new HashSet<string> { "limit", "cursor", "agent", "include" });
        Assert.Subset(Parameters(runs), new HashSet<string> { "id", "limit", "cursor" });
        Assert.All(new[] { agents, sessions, runs }, o => Assert.False(string.IsNullOrWhiteSpace(o.GetProperty("summary").GetString())));
    }

    private static HashSet<string> Responses(JsonElement operation) =>
        [.. operation.GetProperty("responses").EnumerateObject().Select(static r => r.Name)];

    private static HashSet<string> Parameters(JsonElement operation) =>
        [.. operation.GetProperty("parameters").EnumerateArray().Select(static p => p.GetProperty("name").GetString()!)];
}
