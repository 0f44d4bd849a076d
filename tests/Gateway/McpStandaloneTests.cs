using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>The MCP server of a standalone gateway: an Orleans client that lists and runs the silos' agents.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class McpStandaloneTests : IAsyncLifetime
{
    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
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
