using AgentGrains.Grains.Agents;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Grains.Runs;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Tools;

/// <summary>Tools of MCP servers (<c>mcp:server/tool</c>) called by an agent through a session, against a test MCP server.</summary>
[Trait("Category", "Integration")]
public sealed class McpToolTests() : RunTestBase(StorageUnderTest.Sqlite())
{
    private const string AgentName = "mcp-user";

    [Fact]
    public async Task AnAgentCallsAnMcpTool_TheServerGetsTheArgumentsAndTheIdempotencyKeyInMeta()
    {
        await using var server = await McpTestServer.StartAsync();
        await using var cluster = await StartAsync(Agent(ScriptedModel()), Settings(server.Url));
        var session = await CreateSessionAsync(cluster.Grains, "mcp-echo", AgentName);

        var reply = await session.SendAsync("""mcp__test__echo|{"text":"hello"}""");

        Assert.Equal("hello", reply.Reply);
        var view = await WaitForEndAsync(session, reply.RunId);
        Assert.Equal(RunStatus.Completed, view.Status);
        var call = Assert.Single(server.Calls);
        Assert.Equal(("echo", $"{reply.RunId}:1:0"), call);
    }

    [Fact]
    public async Task AnMcpToolReturnsAnError_TheModelGetsAToolErrorNamingServerAndTool_AndTheRunCompletes()
    {
        await using var server = await McpTestServer.StartAsync();
        await using var cluster = await StartAsync(Agent(ScriptedModel()), Settings(server.Url));
        var session = await CreateSessionAsync(cluster.Grains, "mcp-fail", AgentName);

        var reply = await session.SendAsync("""mcp__test__fail|{"text":"x"}""");

        Assert.StartsWith("error:", reply.Reply, StringComparison.Ordinal);
        Assert.Contains("MCP server 'test' tool 'fail'", reply.Reply, StringComparison.Ordinal);
        Assert.Contains("the disk is full (x)", reply.Reply, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Completed, (await WaitForEndAsync(session, reply.RunId)).Status);
    }

    [Fact]
    public async Task ArgumentsThatDoNotFitTheServersSchema_AreRefusedBeforeTheServerIsCalled()
    {
        await using var server = await McpTestServer.StartAsync();
        await using var cluster = await StartAsync(Agent(ScriptedModel()), Settings(server.Url));
        var session = await CreateSessionAsync(cluster.Grains, "mcp-invalid", AgentName);

        var reply = await session.SendAsync("""mcp__test__echo|{"words":"hello"}""");

        Assert.StartsWith("error: invalid arguments for 'mcp__test__echo'", reply.Reply, StringComparison.Ordinal);
        Assert.Empty(server.Calls);
    }

    [Fact]
    public async Task AServerThatIsDown_DoesNotStopTheSilo_AndACallGivesAToolError()
    {
        var down = new Uri("http://127.0.0.1:9/mcp");
        await using var cluster = await StartAsync(Agent(ScriptedModel()), Settings(down));
        var session = await CreateSessionAsync(cluster.Grains, "mcp-down", AgentName);

        var reply = await session.SendAsync("""mcp__test__echo|{"text":"hello"}""");

        Assert.StartsWith("error:", reply.Reply, StringComparison.Ordinal);
        Assert.Contains("MCP server 'test' cannot be reached for tool 'echo'", reply.Reply, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Completed, (await WaitForEndAsync(session, reply.RunId)).Status);
    }

    [Fact]
    public async Task AToolAddedWhileRunning_CanThenBeCalled()
    {
        await using var server = await McpTestServer.StartAsync();
        await using var cluster = await StartAsync(Agent(ScriptedModel()), Settings(server.Url));
        var session = await CreateSessionAsync(cluster.Grains, "mcp-added", AgentName);

        var before = await session.SendAsync("""mcp__test__upper|{"text":"abc"}""");
        server.AddUpperTool("upper");
        var after = await session.SendAsync("""mcp__test__upper|{"text":"abc"}""");

        Assert.Contains("MCP server 'test' has no tool 'upper'", before.Reply, StringComparison.Ordinal);
        Assert.True(after.Reply == "ABC", after.Reply);
        Assert.Equal([("upper", $"{after.RunId}:1:0")], server.Calls);
    }

    [Fact]
    public async Task AnHttpServerRestarted_IsConnectedAgainOnTheNextCall()
    {
        var first = await McpTestServer.StartAsync();
        var url = first.Url;
        await using var cluster = await StartAsync(Agent(ScriptedModel()), Settings(url));
        var session = await CreateSessionAsync(cluster.Grains, "mcp-restart", AgentName);
        Assert.Equal("one", (await session.SendAsync("""mcp__test__echo|{"text":"one"}""")).Reply);
        await first.DisposeAsync();

        await using var second = await McpTestServer.StartAsync(url.Port);
        var reply = await session.SendAsync("""mcp__test__echo|{"text":"two"}""");

        Assert.Equal("two", reply.Reply);
        Assert.Equal([("echo", $"{reply.RunId}:1:0")], second.Calls);
    }

    [Fact]
    public async Task AnAgentNamingAToolOfAServerThatIsNotConfigured_IsRefusedAtStart()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(services =>
        {
            services.AddSingleton(new AgentDefinition(AgentName, "Use the tools.", ["mcp:nowhere/echo"]));
            services.AddSingleton<IChatClient>(ScriptedModel());
        }));

        Assert.Contains("mcp:nowhere/echo", error.ToString(), StringComparison.Ordinal);
    }

    internal static Dictionary<string, string?> Settings(Uri url) => new() { ["Mcp:Servers:test:Url"] = url.ToString() };

    internal static Action<IServiceCollection> Agent(IChatClient model) => services =>
    {
        services.AddSingleton(new AgentDefinition(AgentName, "Use the tools.", ["mcp:test/echo", "mcp:test/fail", "mcp:test/upper"]));
        services.AddSingleton(model);
    };

    /// <summary>A model that calls the tool the user names (<c>tool|arguments</c>), then answers with the tool's result.</summary>
    internal static FakeChatClient ScriptedModel() => new((_, messages) =>
    {
        var last = messages[^1];
        if (last.Role == ChatRole.User)
        {
            var parts = last.Text.Split('|', 2);
            return FakeChatClient.ToolCall("call-1", parts[0], parts[1]);
        }

        var result = last.Contents.OfType<FunctionResultContent>().Single().Result;
        return new ChatMessage(ChatRole.Assistant, result?.ToString() ?? string.Empty);
    });
}
