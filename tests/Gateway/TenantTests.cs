using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace AgentGrains.Tests.Gateway;

/// <summary>Two tenants on one gateway: the same ids, nothing of one visible to the other (404, never 403).</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class TenantTests : KeyedGatewayTest
{
    private static readonly string AcmeKey = SecretWatch.Register("TenantTests.AcmeKey", "acme-key-0123456789");
    private static readonly string GlobexKey = SecretWatch.Register("TenantTests.GlobexKey", "globex-key-0123456789");
    private static readonly string AcmeOtherKey = SecretWatch.Register("TenantTests.AcmeOtherKey", "acme-other-key-0123456789");
    private static readonly string AcmeAdminKey = SecretWatch.Register("TenantTests.AcmeAdminKey", "acme-admin-key-0123456789");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(
        Key("acme", AcmeKey, "acme").Concat(Key("globex", GlobexKey, "globex")).Concat(Key("acmeother", AcmeOtherKey, "acme")).Concat(Key("acmeops", AcmeAdminKey, "acme", "admin")))
    {
        // Globex may only talk to the assistant; acme's sessions may not use the calculator.
        ["Tenants:globex:Agents:0"] = "assistant",
        ["Tenants:acme:DeniedTools:0"] = "calculator",
    };

    [Fact]
    public async Task TwoTenants_BothUseTheSameSessionId_EachSeesOnlyItsOwn()
    {
        using var acme = Client(AcmeKey);
        using var globex = Client(GlobexKey);

        Assert.Equal(HttpStatusCode.Created, (await acme.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "demo" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await globex.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "demo" }, Ct)).StatusCode);
        using var told = await acme.SendTextAsync("demo", "My name is Ada.");
        var reply = await GatewayHttp.ReadJsonAsync(told);
        Assert.Equal("demo~1", reply.GetProperty("runId").GetString());

        // Globex's demo is its own: empty, and its first run is demo~1 too.
        var globexView = await GatewayHttp.ReadJsonAsync(await globex.GetAsync("/v1/sessions/demo", Ct));
        Assert.Empty(globexView.GetProperty("history").EnumerateArray());
        using var asked = await globex.SendTextAsync("demo", "What is my name?");
        var answer = await GatewayHttp.ReadJsonAsync(asked);
        Assert.Equal(("demo~1", "I don't know what your name is."), (answer.GetProperty("runId").GetString(), answer.GetProperty("reply").GetString()));
        var acmeRun = await acme.GetRunAsync("demo~1");
        Assert.Equal("My name is Ada.", acmeRun.GetProperty("input").GetString());

        Assert.Equal(["demo"], await ListAsync(acme));
        Assert.Equal(["demo"], await ListAsync(globex));
    }

    [Fact]
    public async Task AnotherTenantsIds_Are404OnEveryRoute_AndChangeNothing()
    {
        using var acme = Client(AcmeKey);
        using var globex = Client(GlobexKey);
        Assert.Equal(HttpStatusCode.Created, (await acme.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "acme-only", userId = "ada" }, Ct)).StatusCode);
        using var waiting = await acme.SendTextAsync("acme-only", "Send a message to ada@example.com: tenants hold");
        Assert.Equal(HttpStatusCode.Accepted, waiting.StatusCode);
        var runId = (await GatewayHttp.ReadJsonAsync(waiting)).GetProperty("runId").GetString()!;
        var callId = (await acme.GetRunAsync(runId)).GetProperty("steps")[0].GetProperty("toolCalls")[0].GetProperty("callId").GetString()!;

        var probes = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Get, "/v1/sessions/acme-only", null),
            (HttpMethod.Get, "/v1/sessions/acme-only/runs", null),
            (HttpMethod.Post, "/v1/sessions/acme-only/messages", """{"text":"hello"}"""),
            (HttpMethod.Get, $"/v1/runs/{runId}", null),
            (HttpMethod.Get, $"/v1/runs/{runId}/events", null),
            (HttpMethod.Post, $"/v1/runs/{runId}/cancel", null),
            (HttpMethod.Post, $"/v1/runs/{runId}/approvals/{callId}", """{"approve":true}"""),
        };
        foreach (var (method, path, body) in probes)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            using var response = await globex.SendAsync(request, Ct);
            await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
        }

        // Nothing happened to it: still waiting for acme's approval, and acme can still decide.
        Assert.Equal("awaiting_approval", (await acme.GetRunAsync(runId)).GetProperty("status").GetString());
        Assert.Empty(await ListAsync(globex));
        using var approved = await acme.PostRawAsync($"/v1/runs/{runId}/approvals/{callId}", """{"approve":true}""");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        await acme.WaitForStatusAsync(runId, "completed");

        // The outbox is the tenant's own.
        Assert.Single((await GatewayHttp.ReadJsonAsync(await acme.GetAsync("/v1/outbox", Ct))).GetProperty("messages").EnumerateArray());
        Assert.Empty((await GatewayHttp.ReadJsonAsync(await globex.GetAsync("/v1/outbox", Ct))).GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Memories_OfTheSameUserId_ArePerTenant()
    {
        using var acme = Client(AcmeKey);
        using var globex = Client(GlobexKey);
        await acme.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "mem-1", userId = "ada" }, Ct);
        await globex.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "mem-2", userId = "ada" }, Ct);
        await acme.SendTextAsync("mem-1", "My name is Ada.");

        using var asked = await globex.SendTextAsync("mem-2", "What is my name?");
        Assert.Equal("I don't know what your name is.", (await GatewayHttp.ReadJsonAsync(asked)).GetProperty("reply").GetString());
        var acmeFacts = (await GatewayHttp.ReadJsonAsync(await acme.GetAsync("/v1/users/ada/memories", Ct))).GetProperty("facts");
        var fact = Assert.Single(acmeFacts.EnumerateArray());
        Assert.Empty((await GatewayHttp.ReadJsonAsync(await globex.GetAsync("/v1/users/ada/memories", Ct))).GetProperty("facts").EnumerateArray());
        using var deleted = await globex.DeleteAsync($"/v1/users/ada/memories/{fact.GetProperty("id").GetInt64()}", Ct);
        await GatewayHttp.AssertProblemAsync(deleted, HttpStatusCode.NotFound);
        Assert.Single((await GatewayHttp.ReadJsonAsync(await acme.GetAsync("/v1/users/ada/memories", Ct))).GetProperty("facts").EnumerateArray());
    }

    [Fact]
    public async Task Specialists_RunInTheManagersTenant()
    {
        using var acme = Client(AcmeKey);
        using var globex = Client(GlobexKey);
        await acme.PostAsJsonAsync("/v1/sessions", new { agent = "research", sessionId = "study" }, Ct);

        using var sent = await acme.SendTextAsync("study", "How do idempotency keys keep tool calls exactly once?");
        var body = await GatewayHttp.ReadJsonAsync(sent);
        Assert.Equal("completed", body.GetProperty("status").GetString());

        var run = await acme.GetRunAsync("study~1");
        var children = run.GetProperty("children").EnumerateArray().ToList();
        Assert.NotEmpty(children);
        Assert.All(children, c => Assert.Equal("completed", c.GetProperty("status").GetString()));
        var specialists = await ListAsync(acme, "?include=specialists");
        Assert.Contains(specialists, static id => id.StartsWith("study~1.", StringComparison.Ordinal));
        Assert.Empty(await ListAsync(globex, "?include=specialists"));
        using var child = await globex.GetAsync($"/v1/runs/{children[0].GetProperty("runId").GetString()}", Ct);
        await GatewayHttp.AssertProblemAsync(child, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Mcp_ContinuesOnlyTheCallersTenantsSessions()
    {
        using var globexHttp = Client(GlobexKey);
        await globexHttp.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "globex-only" }, Ct);
        await using var acme = await McpServerTests.ConnectAsync(Client(AcmeKey));

        var result = await McpServerTests.CallAsync(acme, "assistant", "Hello", "globex-only");

        Assert.True(result.IsError);
        Assert.Contains("does not exist", McpServerTests.Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentAllowList_HidesTheOtherAgents_FromListingsSessionsAndMcp()
    {
        using var globex = Client(GlobexKey);
        using var acme = Client(AcmeKey);

        var listed = (await GatewayHttp.ReadJsonAsync(await globex.GetAsync("/v1/agents", Ct))).GetProperty("agents").EnumerateArray().Select(static a => a.GetProperty("name").GetString()).ToList();
        Assert.Equal(["assistant"], listed);
        Assert.Contains("research", (await GatewayHttp.ReadJsonAsync(await acme.GetAsync("/v1/agents", Ct))).GetProperty("agents").EnumerateArray().Select(static a => a.GetProperty("name").GetString()));
        using var refused = await globex.PostAsJsonAsync("/v1/sessions", new { agent = "research", sessionId = "not-allowed" }, Ct);
        var problem = await GatewayHttp.AssertProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.Equal("Unknown agent 'research'; known agents: assistant.", problem.GetProperty("detail").GetString());
        await GatewayHttp.AssertProblemAsync(await globex.GetAsync("/v1/sessions/not-allowed", Ct), HttpStatusCode.NotFound);

        await using var mcp = await McpServerTests.ConnectAsync(Client(GlobexKey));
        Assert.Equal(["assistant"], (await mcp.ListToolsAsync(cancellationToken: Ct)).Select(static t => t.Name));
        var call = await McpServerTests.CallAsync(mcp, "research", "What is a lease?");
        Assert.True(call.IsError);
    }

    [Fact]
    public async Task DeniedTool_IsNotOfferedToTheTenantsModel_OtherTenantsKeepIt()
    {
        using var acme = Client(AcmeKey);
        using var globex = Client(GlobexKey);
        await acme.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "sums" }, Ct);
        await globex.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "sums" }, Ct);

        var acmeReply = await GatewayHttp.ReadJsonAsync(await acme.SendTextAsync("sums", "What is 6*7?"));
        var globexReply = await GatewayHttp.ReadJsonAsync(await globex.SendTextAsync("sums", "What is 6*7?"));

        Assert.Equal("The answer is 42.", globexReply.GetProperty("reply").GetString());
        Assert.DoesNotContain("42", acmeReply.GetProperty("reply").GetString(), StringComparison.Ordinal);
        var run = await acme.GetRunAsync(acmeReply.GetProperty("runId").GetString()!);
        Assert.All(run.GetProperty("steps").EnumerateArray(), static s => Assert.Empty(s.GetProperty("toolCalls").EnumerateArray()));
    }

    [Fact]
    public async Task Approval_OfAnotherKeysRun_NeedsTheAdminRole()
    {
        using var acme = Client(AcmeKey);
        using var other = Client(AcmeOtherKey);
        using var ops = Client(AcmeAdminKey);
        await acme.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "owned" }, Ct);
        using var waiting = await acme.SendTextAsync("owned", "Send a message to ada@example.com: owners decide");
        var runId = (await GatewayHttp.ReadJsonAsync(waiting)).GetProperty("runId").GetString()!;
        var callId = (await acme.GetRunAsync(runId)).GetProperty("steps")[0].GetProperty("toolCalls")[0].GetProperty("callId").GetString()!;

        using var refused = await other.PostRawAsync($"/v1/runs/{runId}/approvals/{callId}", """{"approve":true}""");
        var problem = await GatewayHttp.AssertProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Contains("admin role", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("awaiting_approval", (await acme.GetRunAsync(runId)).GetProperty("status").GetString());

        using var approved = await ops.PostRawAsync($"/v1/runs/{runId}/approvals/{callId}", """{"approve":true}""");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("Your message to ada@example.com was sent.", (await acme.WaitForStatusAsync(runId, "completed")).GetProperty("reply").GetString());
    }

    private static async Task<List<string>> ListAsync(HttpClient client, string query = "")
    {
        var page = await GatewayHttp.ReadJsonAsync(await client.GetAsync("/v1/sessions" + query, Ct));
        return [.. page.GetProperty("sessions").EnumerateArray().Select(static s => s.GetProperty("sessionId").GetString()!)];
    }
}
