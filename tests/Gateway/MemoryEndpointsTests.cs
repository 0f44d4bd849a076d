using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace AgentGrains.Tests.Gateway;

/// <summary>Sessions of a user and the <c>/v1/users/{userId}/memories</c> resource over the real pipeline, with the offline assistant; on every storage provider.</summary>
/// <remarks>The class's tests share one database: each uses users and sessions of its own.</remarks>
public abstract class MemoryEndpointsTests(GatewayFixture fixture)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite(GatewayFixture.Sqlite fixture) : MemoryEndpointsTests(fixture), IClassFixture<GatewayFixture.Sqlite>
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres(GatewayFixture.Postgres fixture) : MemoryEndpointsTests(fixture), IClassFixture<GatewayFixture.Postgres>
    {
    }

    private readonly HttpClient client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> InvalidUserIds => ["ada lovelace", string.Empty, new string('a', 129), "-ada", "ada/lovelace", "ádá"];

    public static TheoryData<string> BadListQueries =>
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=-1",
        "cursor=not-a-cursor!",
        "cursor=" + Cursor("sessions:5"),
        "cursor=" + Cursor("memories:abc"),
        "cursor=" + Cursor("memories:0"),
        "cursor=" + Cursor("memories:-5"),
    ];

    private static string NewUserId() => "u-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task CreateSession_WithUserId_ShownWhenCreatedAndRead_SameRequestAgainIs200()
    {
        var userId = NewUserId();
        var sessionId = GatewayHttp.NewSessionId();

        using var created = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId, userId }, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/v1/sessions/{sessionId}", created.Headers.Location?.OriginalString);
        var body = await GatewayHttp.ReadJsonAsync(created);
        Assert.Equal((sessionId, GatewayHttp.Agent, userId), (body.GetProperty("sessionId").GetString(), body.GetProperty("agent").GetString(), body.GetProperty("userId").GetString()));
        var view = JsonDocument.Parse(await client.GetSessionJsonAsync(sessionId)).RootElement;
        Assert.Equal(userId, view.GetProperty("userId").GetString());

        using var again = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId, userId }, Ct);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Null(again.Headers.Location);
        Assert.Equal(userId, (await GatewayHttp.ReadJsonAsync(again)).GetProperty("userId").GetString());
    }

    [Fact]
    public async Task CreateSession_SameIdForAnotherUserOrNone_Returns409AndKeepsTheUser()
    {
        var userId = NewUserId();
        var sessionId = await CreateUserSessionAsync(userId);

        using var otherUser = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId, userId = NewUserId() }, Ct);
        using var noUser = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId }, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(otherUser, HttpStatusCode.Conflict);
        Assert.Contains(sessionId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Whose session it is stays unsaid: the caller may not be its user.
        Assert.DoesNotContain(userId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await GatewayHttp.AssertProblemAsync(noUser, HttpStatusCode.Conflict);
        Assert.Equal(userId, JsonDocument.Parse(await client.GetSessionJsonAsync(sessionId)).RootElement.GetProperty("userId").GetString());

        // A session without a user cannot be claimed for one either.
        var anonymous = await client.CreateSessionAsync();
        using var claimed = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId = anonymous, userId }, Ct);
        await GatewayHttp.AssertProblemAsync(claimed, HttpStatusCode.Conflict);
    }

    [Theory]
    [MemberData(nameof(InvalidUserIds))]
    public async Task CreateSession_InvalidUserId_Returns400NamingUserIdAndCreatesNothing(string userId)
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId, userId }, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("userId", out _), problem.ToString());
        Assert.Contains("userId", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await client.AssertSessionMissingAsync(sessionId);
    }

    [Fact]
    public async Task CreateSession_WithoutUserId_UserIdIsNull()
    {
        var sessionId = GatewayHttp.NewSessionId();

        using var created = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId }, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await GatewayHttp.ReadJsonAsync(created)).GetProperty("userId").ValueKind);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(await client.GetSessionJsonAsync(sessionId)).RootElement.GetProperty("userId").ValueKind);
    }

    [Fact]
    public async Task Chat_FactToldInOneSession_IsKnownInAnotherSessionOfTheUser_AndListed()
    {
        var userId = NewUserId();
        var started = DateTimeOffset.UtcNow;
        var first = await CreateUserSessionAsync(userId);
        var second = await CreateUserSessionAsync(userId);

        Assert.Equal("Got it: your name is Ada. I'll remember that.", await ChatAsync(first, "My name is Ada."));
        var (answer, runId) = await ChatWithRunAsync(second, "What is my name?");

        Assert.Equal("Your name is Ada.", answer);
        // Answered from the facts given with the request: no recall call was needed.
        var run = await client.GetRunAsync(runId);
        Assert.Empty(Assert.Single(run.GetProperty("steps").EnumerateArray()).GetProperty("toolCalls").EnumerateArray());

        var memories = await client.GetJsonAsync($"/v1/users/{userId}/memories");
        Assert.Equal(userId, memories.GetProperty("userId").GetString());
        Assert.Equal(JsonValueKind.Null, memories.GetProperty("next").ValueKind);
        var fact = Assert.Single(memories.GetProperty("facts").EnumerateArray());
        Assert.True(fact.GetProperty("id").GetInt64() > 0);
        Assert.Equal(("My name is Ada.", first, $"{first}~1", 1), (fact.GetProperty("text").GetString(), fact.GetProperty("sessionId").GetString(), fact.GetProperty("runId").GetString(), fact.GetProperty("step").GetInt32()));
        var createdAt = fact.GetProperty("createdAt").GetDateTimeOffset();
        Assert.InRange(createdAt, started.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        // Another user's memory is theirs alone.
        var other = await client.GetJsonAsync($"/v1/users/{NewUserId()}/memories");
        Assert.Empty(other.GetProperty("facts").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, other.GetProperty("next").ValueKind);
        var stranger = await CreateUserSessionAsync(NewUserId());
        Assert.Equal("I don't know what your name is.", await ChatAsync(stranger, "What is my name?"));
    }

    [Fact]
    public async Task Chat_SessionWithoutUser_RemembersNothing()
    {
        var sessionId = await client.CreateSessionAsync();

        Assert.Equal("Got it: your name is Ada.", await ChatAsync(sessionId, "My name is Ada."));
        Assert.Equal("I don't know what your name is.", await ChatAsync(await client.CreateSessionAsync(), "What is my name?"));
    }

    [Fact]
    public async Task ListMemories_PagesOfOne_NewestFirstEveryFactOnce()
    {
        var userId = NewUserId();
        var sessionId = await CreateUserSessionAsync(userId);
        string[] told = ["My name is Ada.", "My favourite colour is green.", "My home town is Lyon."];
        foreach (var statement in told)
        {
            Assert.EndsWith("I'll remember that.", await ChatAsync(sessionId, statement), StringComparison.Ordinal);
        }

        var pages = await client.AllPagesAsync($"/v1/users/{userId}/memories?limit=1", "facts");

        Assert.Equal(3, pages.Count);
        Assert.All(pages, static p => Assert.Single(p));
        var facts = pages.SelectMany(static p => p).ToList();
        Assert.Equal(Enumerable.Reverse(told), facts.Select(static f => f.GetProperty("text").GetString()));
        var ids = facts.Select(static f => f.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending().Distinct(), ids);
        Assert.Equal([$"{sessionId}~3", $"{sessionId}~2", $"{sessionId}~1"], facts.Select(static f => f.GetProperty("runId").GetString()));

        // A bigger page holds them all.
        var all = await client.GetJsonAsync($"/v1/users/{userId}/memories?limit=3");
        Assert.Equal(ids, all.GetProperty("facts").EnumerateArray().Select(static f => f.GetProperty("id").GetInt64()));
        Assert.Equal(JsonValueKind.Null, all.GetProperty("next").ValueKind);
    }

    [Theory]
    [MemberData(nameof(BadListQueries))]
    public async Task ListMemories_BadLimitOrCursor_Returns400NamingIt(string query)
    {
        using var response = await client.GetAsync($"/v1/users/{NewUserId()}/memories?{query}", Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(query[..query.IndexOf('=', StringComparison.Ordinal)], out _), problem.ToString());
    }

    [Theory]
    [InlineData("GET", "/v1/users/-ada/memories")]
    [InlineData("GET", "/v1/users/ada%20lovelace/memories")]
    [InlineData("DELETE", "/v1/users/-ada/memories/1")]
    [InlineData("DELETE", "/v1/users/-ada/memories")]
    public async Task Memories_InvalidUserIdInThePath_Returns400NamingUserId(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await client.SendAsync(request, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("userId", out _), problem.ToString());
    }

    [Fact]
    public async Task DeleteMemory_OnlyItsUserCanDeleteIt_ThenNoLaterSessionKnowsIt()
    {
        var userId = NewUserId();
        var told = await CreateUserSessionAsync(userId);
        await ChatAsync(told, "My name is Ada.");
        var id = Assert.Single((await client.GetJsonAsync($"/v1/users/{userId}/memories")).GetProperty("facts").EnumerateArray()).GetProperty("id").GetInt64();

        // Another user's path does not reach it.
        using var notTheirs = await client.DeleteAsync($"/v1/users/{NewUserId()}/memories/{id}", Ct);
        await GatewayHttp.AssertProblemAsync(notTheirs, HttpStatusCode.NotFound);
        Assert.Single((await client.GetJsonAsync($"/v1/users/{userId}/memories")).GetProperty("facts").EnumerateArray());
        Assert.Equal("Your name is Ada.", await ChatAsync(await CreateUserSessionAsync(userId), "What is my name?"));

        using var deleted = await client.DeleteAsync($"/v1/users/{userId}/memories/{id}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsByteArrayAsync(Ct));

        using var again = await client.DeleteAsync($"/v1/users/{userId}/memories/{id}", Ct);
        var problem = await GatewayHttp.AssertProblemAsync(again, HttpStatusCode.NotFound);
        Assert.Contains(id.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty((await client.GetJsonAsync($"/v1/users/{userId}/memories")).GetProperty("facts").EnumerateArray());
        // Neither given with the request nor found by recall.
        Assert.Equal("I don't know what your name is.", await ChatAsync(await CreateUserSessionAsync(userId), "What is my name?"));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task DeleteMemory_BadId_Returns400NamingId(string id)
    {
        using var response = await client.DeleteAsync($"/v1/users/{NewUserId()}/memories/{id}", Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("id", out _), problem.ToString());
    }

    [Fact]
    public async Task DeleteMemories_All_ReturnsHowManyAndLeavesOtherUsersFacts()
    {
        var userId = NewUserId();
        var otherId = NewUserId();
        var sessionId = await CreateUserSessionAsync(userId);
        await ChatAsync(sessionId, "My name is Ada.");
        await ChatAsync(sessionId, "Remember that the door code is 1234.");
        await ChatAsync(await CreateUserSessionAsync(otherId), "My name is Grace.");

        var deleted = await DeleteAllAsync(userId);

        Assert.Equal(userId, deleted.GetProperty("userId").GetString());
        Assert.Equal(2, deleted.GetProperty("deleted").GetInt32());
        Assert.Empty((await client.GetJsonAsync($"/v1/users/{userId}/memories")).GetProperty("facts").EnumerateArray());
        Assert.Equal("My name is Grace.", Assert.Single((await client.GetJsonAsync($"/v1/users/{otherId}/memories")).GetProperty("facts").EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal(0, (await DeleteAllAsync(userId)).GetProperty("deleted").GetInt32());
    }

    private static string Cursor(string key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key));

    private async Task<string> CreateUserSessionAsync(string userId)
    {
        var sessionId = GatewayHttp.NewSessionId();
        using var response = await client.PostAsJsonAsync("/v1/sessions", new { agent = GatewayHttp.Agent, sessionId, userId }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return sessionId;
    }

    private async Task<string> ChatAsync(string sessionId, string text) => (await ChatWithRunAsync(sessionId, text)).Reply;

    private async Task<(string Reply, string RunId)> ChatWithRunAsync(string sessionId, string text)
    {
        using var response = await client.SendTextAsync(sessionId, text);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200 for '{text}', got {(int)response.StatusCode}: {body}");
        var reply = JsonDocument.Parse(body).RootElement;
        Assert.Equal("completed", reply.GetProperty("status").GetString());
        return (reply.GetProperty("reply").GetString()!, reply.GetProperty("runId").GetString()!);
    }

    private async Task<JsonElement> DeleteAllAsync(string userId)
    {
        using var response = await client.DeleteAsync($"/v1/users/{userId}/memories", Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
