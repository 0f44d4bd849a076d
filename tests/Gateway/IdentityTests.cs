using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>API keys over the silo's HTTP pipeline: who may call what, and what a refusal says.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class IdentityTests : KeyedGatewayTest
{
    private static readonly string AdminKey = SecretWatch.Register("IdentityTests.AdminKey", "admin-key-0123456789");
    private static readonly string UserKey = SecretWatch.Register("IdentityTests.UserKey", "user-key-0123456789");

    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(Key("ops", AdminKey, "acme", "admin", "user").Concat(Key("app", UserKey, "acme")));

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-key-anyone-has")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    public async Task Api_WithoutAKnownKey_Is401ProblemAskingForABearerKey_AndChangesNothing(string? authorization)
    {
        using var client = Authorized(authorization);

        using var created = await client.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "refused" }, Ct);
        using var read = await client.GetAsync("/v1/sessions/refused", Ct);
        using var mcp = await client.PostAsync("/mcp", JsonContent.Create(new { jsonrpc = "2.0", id = 1, method = "tools/list" }), Ct);

        foreach (var response in new[] { created, read, mcp })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }

        var problem = await GatewayHttp.AssertProblemAsync(created, HttpStatusCode.Unauthorized);
        Assert.Contains("Authorization: Bearer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var admin = Client(AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/sessions/refused", Ct)).StatusCode);
    }

    [Fact]
    public async Task UserKey_DrivesSessions_ButNotTheOperatorsPages()
    {
        using var user = Client(UserKey);

        using var created = await user.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "keyed" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var sent = await user.SendTextAsync("keyed", "What is 6*7?");
        Assert.Equal("The answer is 42.", (await GatewayHttp.ReadJsonAsync(sent)).GetProperty("reply").GetString());

        foreach (var path in new[] { "/v1/cluster", "/ui", "/ui/sessions/keyed", "/dashboard" })
        {
            using var refused = await user.GetAsync(path, Ct);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{path}: {refused.StatusCode}");
        }

        using var cluster = await user.GetAsync("/v1/cluster", Ct);
        var problem = await GatewayHttp.AssertProblemAsync(cluster, HttpStatusCode.Forbidden);
        Assert.Contains("admin role", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminKey_ReachesTheOperatorsPages()
    {
        using var admin = Client(AdminKey);

        foreach (var path in new[] { "/v1/cluster", "/ui", "/dashboard/", "/v1/sessions" })
        {
            using var response = await admin.GetAsync(path, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
        }
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/metrics")]
    [InlineData("/openapi/v1.json")]
    public async Task ProbesMetricsAndTheApiDescription_NeedNoKey(string path)
    {
        using var anonymous = Client(null);

        using var response = await anonymous.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task KeyInALowerCaseScheme_IsAccepted()
    {
        using var client = App.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer " + UserKey);

        using var response = await client.GetAsync("/v1/agents", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Cli_WithTheApiKey_Works_WithoutIt_SaysWhatToSend()
    {
        using var keyed = new AgentGrains.Cli.Http.GatewayClient(App.Server.BaseAddress, App.Server.CreateHandler(), apiKey: UserKey);
        using var anonymous = new AgentGrains.Cli.Http.GatewayClient(App.Server.BaseAddress, App.Server.CreateHandler());

        var agents = await keyed.GetAgentsAsync(Ct);
        var refused = await Assert.ThrowsAsync<AgentGrains.Cli.CliException>(() => anonymous.GetAgentsAsync(Ct));

        Assert.Contains(agents.Agents, static a => a.Name == "assistant");
        Assert.Contains("Authorization: Bearer", refused.Message, StringComparison.Ordinal);
    }
}
