using System.Diagnostics;
using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Grains.Runs;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Tools;

/// <summary>Tools of an MCP server run over stdio (the test project's McpServer), restarted when it dies.</summary>
[Trait("Category", "Integration")]
public sealed class McpStdioToolTests() : RunTestBase(StorageUnderTest.Sqlite())
{
    private const string AgentName = "mcp-stdio";
    private readonly TempDirectory directory = new();

    [Fact]
    public async Task AnAgentCallsAStdioMcpTool_TheServerGetsTheIdempotencyKeyInMeta()
    {
        await using var cluster = await StartAsync(Agent(), Settings());
        var session = await CreateSessionAsync(cluster.Grains, "stdio-echo", AgentName);

        var reply = await session.SendAsync("""mcp__stdio__echo|{"text":"hello"}""");

        Assert.Equal("hello", reply.Reply);
        Assert.Equal(RunStatus.Completed, (await WaitForEndAsync(session, reply.RunId)).Status);
        Assert.Equal([("echo", $"{reply.RunId}:1:0")], Calls().Select(static c => (c.Tool, c.Key)));
    }

    [Fact]
    public async Task TheScriptedModelIsToldToUseAnMcpTool_ItCallsTheServerAndAnswersFromItsResult()
    {
        // No model registered: the silo's default, the offline scripted model, decides the calls.
        await using var cluster = await StartAsync(
            static services => services.AddSingleton(new AgentDefinition(AgentName, "Use the tools.", ["mcp:stdio/echo", "mcp:stdio/hold"])),
            Settings());
        var session = await CreateSessionAsync(cluster.Grains, "stdio-use", AgentName);

        var reply = await session.SendAsync("""use echo {"text": "hello from the server"}""");

        Assert.Equal("The stdio/echo tool returned:\nhello from the server", reply.Reply);
        Assert.Equal(RunStatus.Completed, (await WaitForEndAsync(session, reply.RunId)).Status);
        Assert.Equal([("echo", $"{reply.RunId}:1:0")], Calls().Select(static c => (c.Tool, c.Key)));
    }

    [Fact]
    public async Task TheServerIsKilledMidCall_ItIsStartedAgainAndTheCallSentAgainWithTheSameKey_AndTheRunCompletes()
    {
        await using var cluster = await StartAsync(Agent(), Settings());
        var session = await CreateSessionAsync(cluster.Grains, "stdio-kill", AgentName);

        var run = await session.SubmitAsync("""mcp__stdio__hold|{"text":"x"}""");
        await Eventually.TrueAsync(() => Task.FromResult(Calls().Any(static c => c.Tool == "hold")), WaitLimit, "the server holds the call");
        var first = Calls().Single(static c => c.Tool == "hold");
        using (var process = Process.GetProcessById(first.Pid))
        {
            process.Kill();
        }

        var view = await WaitForEndAsync(session, run.RunId);

        Assert.Equal((RunStatus.Completed, "held x"), (view.Status, view.Reply));
        var holds = Calls().Where(static c => c.Tool == "hold").ToList();
        Assert.Equal(2, holds.Count);
        Assert.All(holds, h => Assert.Equal($"{run.RunId}:1:0", h.Key));
        Assert.NotEqual(holds[0].Pid, holds[1].Pid);
    }

    public override async ValueTask DisposeAsync()
    {
        directory.Dispose();
        await base.DisposeAsync();
    }

    private string CallLog => Path.Combine(directory.Path, "calls.log");

    private List<(int Pid, string Tool, string Key)> Calls()
    {
        if (!File.Exists(CallLog))
        {
            return [];
        }

        using var stream = new FileStream(CallLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(static line => line.Split(' '))
            .Select(static parts => (int.Parse(parts[0], CultureInfo.InvariantCulture), parts[1], parts[2]))];
    }

    private Dictionary<string, string?> Settings() => new()
    {
        ["Mcp:Servers:stdio:Command"] = "dotnet",
        ["Mcp:Servers:stdio:Arguments:0"] = Path.Combine(AppContext.BaseDirectory, "AgentGrains.Tests.McpServer.dll"),
        ["Mcp:Servers:stdio:Environment:MCP_TEST_CALL_LOG"] = CallLog,
        ["Mcp:Servers:stdio:Tools:hold:Timeout"] = "00:00:30",
    };

    private static Action<IServiceCollection> Agent() => services =>
    {
        services.AddSingleton(new AgentDefinition(AgentName, "Use the tools.", ["mcp:stdio/echo", "mcp:stdio/hold"]));
        services.AddSingleton<Microsoft.Extensions.AI.IChatClient>(McpToolTests.ScriptedModel());
    };
}
