using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentGrains.Grains.Showcase;

namespace AgentGrains.Tests.Gateway;

/// <summary>
/// The showcase's research agents on a configured model (the real OpenAI client against
/// <see cref="FakeOpenAIServer"/>) instead of their offline models: the same agents, their
/// instructions, the specialists offered as typed tools, typed replies checked.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class ShowcaseRealModelTests
{
    [Fact]
    public async Task Research_ConfiguredModel_RunsTheSameAgentsOnItWithTypedSpecialistTools()
    {
        await using var gateway = await ModelServerGateway.StartAsync(new ResearchModelScript().Respond);
        var (client, server) = (gateway.Client, gateway.Server);
        var sessionId = await client.CreateSessionAsync(agent: ShowcaseAgents.ResearchName);

        using var response = await client.SendTextAsync(sessionId, ResearchModelScript.Question);

        var body = await GatewayHttp.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal(ResearchModelScript.Report, body.GetProperty("reply").GetString());
        var manager = server.Requests.First(r => ResearchModelScript.Agent(r) == ShowcaseAgents.ResearchName);
        Assert.Equal([ShowcaseAgents.SearcherName, ShowcaseAgents.AnalystName], manager.Tools.Select(t => t.Name));
        var searchSchema = JsonNode.Parse(manager.Tools[0].Parameters!)!;
        Assert.Equal("string", searchSchema["properties"]!["query"]!["type"]!.GetValue<string>());
        // The searcher ran on the model too, with its tool, and was told the JSON its reply must be.
        var searcher = server.Requests.First(r => ResearchModelScript.Agent(r) == ShowcaseAgents.SearcherName);
        Assert.Equal([CorpusSearchTool.Name], searcher.Tools.Select(t => t.Name));
        Assert.Contains("Reply with only a JSON object that matches this JSON schema", searcher.Messages[0].Content, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count(r => ResearchModelScript.Agent(r) == ShowcaseAgents.SearcherName && r.Messages.All(m => m.Role != "tool")));
        var run = await client.GetRunAsync(body.GetProperty("runId").GetString()!);
        Assert.Equal(["searcher", "searcher", "analyst"], run.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("agent").GetString()));
        Assert.All(run.GetProperty("children").EnumerateArray(), c => Assert.Equal("completed", c.GetProperty("status").GetString()));
    }
}
