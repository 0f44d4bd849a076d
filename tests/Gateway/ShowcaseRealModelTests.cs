using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentGrains.Grains.Showcase;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>
/// The showcase's research agents on a configured model (the real OpenAI client against
/// <see cref="FakeOpenAIServer"/>) instead of their offline models: the same agents, their
/// instructions, the specialists offered as typed tools, typed replies checked.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class ShowcaseRealModelTests : IAsyncLifetime
{
    private const string Question = "How do idempotency keys and fencing tokens work?";

    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();
    private FakeOpenAIServer server = null!;
    private GatewayApp app = null!;
    private HttpClient client = null!;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        server = await FakeOpenAIServer.StartAsync();
        server.DefaultResponder = Respond;
        app = new GatewayApp(storage, new Dictionary<string, string?>
        {
            ["Model:Provider"] = "OpenAI",
            ["Model:Name"] = "test-model",
            ["Model:BaseUrl"] = server.BaseUrl.ToString(),
            ["Model:ApiKey"] = "test",
        });
        client = app.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
        await server.DisposeAsync();
        await storage.DisposeAsync();
    }

    [Fact]
    public async Task Research_ConfiguredModel_RunsTheSameAgentsOnItWithTypedSpecialistTools()
    {
        var sessionId = await client.CreateSessionAsync(agent: ShowcaseAgents.ResearchName);

        using var response = await client.SendTextAsync(sessionId, Question);

        var body = await GatewayHttp.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("Report from the model: see [idempotency-keys] and [leases-and-fencing].", body.GetProperty("reply").GetString());
        var manager = server.Requests.First(r => Agent(r) == ShowcaseAgents.ResearchName);
        Assert.Equal([ShowcaseAgents.SearcherName, ShowcaseAgents.AnalystName], manager.Tools.Select(t => t.Name));
        var searchSchema = JsonNode.Parse(manager.Tools[0].Parameters!)!;
        Assert.Equal("string", searchSchema["properties"]!["query"]!["type"]!.GetValue<string>());
        // The searcher ran on the model too, with its tool, and was told the JSON its reply must be.
        var searcher = server.Requests.First(r => Agent(r) == ShowcaseAgents.SearcherName);
        Assert.Equal([CorpusSearchTool.Name], searcher.Tools.Select(t => t.Name));
        Assert.Contains("Reply with only a JSON object that matches this JSON schema", searcher.Messages[0].Content, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count(r => Agent(r) == ShowcaseAgents.SearcherName && r.Messages.All(m => m.Role != "tool")));
        var run = await client.GetRunAsync(body.GetProperty("runId").GetString()!);
        Assert.Equal(["searcher", "searcher", "analyst"], run.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("agent").GetString()));
        Assert.All(run.GetProperty("children").EnumerateArray(), c => Assert.Equal("completed", c.GetProperty("status").GetString()));
    }

    private static string Agent(FakeChatRequest request)
    {
        var system = request.Messages[0].Content ?? string.Empty;
        return ShowcaseAgents.All.First(a => system.StartsWith(a.Instructions, StringComparison.Ordinal)).Name;
    }

    /// <summary>Plays a model that follows the agents' instructions, as far as this test needs.</summary>
    private static FakeResponse Respond(FakeChatRequest request)
    {
        var results = request.Messages.Where(static m => m.Role == "tool").Select(static m => m.Content!).ToList();
        switch (Agent(request))
        {
            case ShowcaseAgents.ResearchName when results.Count == 0:
                return FakeResponse.Calls(
                [
                    new FakeToolCall(ShowcaseAgents.SearcherName, """{"query":"idempotency keys"}""", "call_1"),
                    new FakeToolCall(ShowcaseAgents.SearcherName, """{"query":"fencing tokens"}""", "call_2"),
                ]);
            case ShowcaseAgents.ResearchName when results.Count == 2:
                var findings = new JsonArray([.. results.SelectMany(static r => JsonNode.Parse(r)!["findings"]!.AsArray()).Select(static f => f!.DeepClone())]);
                var analysis = new JsonObject { ["question"] = Question, ["findings"] = findings };
                return FakeResponse.Call(ShowcaseAgents.AnalystName, analysis.ToJsonString(), "call_3");
            case ShowcaseAgents.ResearchName:
                return FakeResponse.Text(results[^1]);
            case ShowcaseAgents.SearcherName when results.Count == 0:
                var query = JsonNode.Parse(request.Messages[^1].Content!)!["query"]!.GetValue<string>();
                return FakeResponse.Call(CorpusSearchTool.Name, new JsonObject { ["query"] = query }.ToJsonString(), "call_1");
            case ShowcaseAgents.SearcherName:
                var hits = JsonNode.Parse(results[0])!.AsArray();
                var reply = new JsonObject
                {
                    ["query"] = JsonNode.Parse(request.Messages[1].Content!)!["query"]!.GetValue<string>(),
                    ["findings"] = new JsonArray([.. hits.Take(1).Select(static h => (JsonNode)new JsonObject
                    {
                        ["documentId"] = h!["id"]!.GetValue<string>(),
                        ["title"] = h["title"]!.GetValue<string>(),
                        ["excerpt"] = h["excerpt"]!.GetValue<string>(),
                    })]),
                };
                return FakeResponse.Text(reply.ToJsonString());
            default:
                var cited = string.Join(" and ", JsonNode.Parse(request.Messages[^1].Content!)!["findings"]!.AsArray().Select(static f => $"[{f!["documentId"]!.GetValue<string>()}]"));
                return FakeResponse.Text($"Report from the model: see {cited}.");
        }
    }
}
