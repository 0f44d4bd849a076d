using AgentGrains.Grains.Showcase;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>The list endpoints and the MCP server of a standalone gateway: an Orleans client with no agents, tools or journal of its own.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class StandaloneGatewayTests : IAsyncLifetime
{
    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task List_ThroughAnOrleansClient_AgentsSessionsAndRunsComeFromTheSilos()
    {
        await using var cluster = await SessionCluster.StartAsync(storage, silos: 1);
        await using var gateway = await ClusterGateway.StartAsync(cluster.Cluster.Client);
        using var client = gateway.CreateClient();
        var sessionId = await client.CreateSessionAsync();
        using (var sent = await client.SendTextAsync(sessionId, "What is 2 + 3?"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, sent.StatusCode);
        }

        var agents = (await client.GetJsonAsync("/v1/agents")).GetProperty("agents").EnumerateArray().ToList();
        var sessions = (await client.GetJsonAsync("/v1/sessions?agent=assistant")).GetProperty("sessions").EnumerateArray().ToList();
        var runs = (await client.GetJsonAsync($"/v1/sessions/{sessionId}/runs")).GetProperty("runs").EnumerateArray().ToList();

        var research = agents.Single(static a => a.GetProperty("name").GetString() == ShowcaseAgents.ResearchName);
        Assert.Equal(["searcher", "analyst"], research.GetProperty("specialists").EnumerateArray().Select(static s => s.GetString()));
        Assert.Equal([sessionId], sessions.Select(static s => s.GetProperty("sessionId").GetString()));
        Assert.Equal([($"{sessionId}~1", "completed")], runs.Select(static r => (r.GetProperty("runId").GetString(), r.GetProperty("status").GetString())));
    }

    [Fact]
    public async Task Mcp_ThroughAnOrleansClient_ListsTheSilosAgentsAndRunsThem()
    {
        await using var cluster = await SessionCluster.StartAsync(storage, silos: 1);
        await using var gateway = await ClusterGateway.StartAsync(cluster.Cluster.Client);
        await using var mcp = await McpServerTests.ConnectAsync(gateway.CreateClient());

        var tools = await mcp.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var result = await McpServerTests.CallAsync(mcp, "assistant", "What is (2+3)*4?");

        Assert.Contains("assistant", tools.Select(static t => t.Name));
        Assert.Contains("research", tools.Select(static t => t.Name));
        Assert.NotEqual(true, result.IsError);
        Assert.Equal("The answer is 20.", McpServerTests.Text(result));
    }
}
