using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Tools;
using AgentGrains.Grains.Tools.Mcp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Grains.Tools;

/// <summary>The Mcp:Servers configuration: what is refused, and the tools and policies it gives agents.</summary>
public sealed class McpServersTests
{
    [Theory]
    [InlineData("bad name", "Command", "node", "not a valid server name")]
    [InlineData("files", "Url", "ftp://files.example/mcp", "absolute http or https URL")]
    [InlineData("files", "WorkingDirectory", "/tmp", "needs either Command")]
    public void AServerConfiguredWrongly_IsRefusedNamingTheSetting(string server, string key, string value, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Servers(new() { [$"Mcp:Servers:{server}:{key}"] = value }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains($"Mcp:Servers:{server}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToolsFor_GivesTheNamedToolsOfConfiguredServers_WithTheModelNameAndTheConfiguredPolicy()
    {
        var servers = Servers(new()
        {
            ["Mcp:Servers:files:Command"] = "node",
            ["Mcp:Servers:files:Tools:read.file:SideEffects"] = "false",
            ["Mcp:Servers:files:Tools:read.file:Risk"] = "Low",
            ["Mcp:Servers:files:Tools:read.file:Timeout"] = "00:00:05",
            ["Mcp:Servers:files:Tools:write:NeedsConfirmation"] = "true",
            ["Mcp:Servers:files:Tools:write:MaxCallsPerSession"] = "3",
        });

        var tools = servers.ToolsFor(
        [
            new AgentDefinition("a", "x", ["mcp:files/read.file", "mcp:files/write", "calculator", "mcp:other/x"]),
            new AgentDefinition("b", "x", ["mcp:files/write"]),
        ]).ToDictionary(static t => t.Alias!);

        Assert.Equal(["mcp:files/read.file", "mcp:files/write"], tools.Keys.Order(StringComparer.Ordinal));
        var read = tools["mcp:files/read.file"];
        Assert.Equal(("mcp__files__read_file", false, ToolRisk.Low, TimeSpan.FromSeconds(5)), (read.Name, read.HasSideEffects, read.Risk, read.Timeout));
        var write = tools["mcp:files/write"];
        Assert.Equal((true, true, ToolRisk.Medium, 3, TimeSpan.FromSeconds(30)), (write.HasSideEffects, write.NeedsConfirmation, write.Risk, write.MaxCallsPerSession, write.Timeout));
    }

    [Fact]
    public void AToolWhoseModelNameIsTooLong_IsRefused()
    {
        var servers = Servers(new() { ["Mcp:Servers:files:Command"] = "node" });

        Assert.Throws<ArgumentException>(() => servers.ToolsFor([new AgentDefinition("a", "x", ["mcp:files/" + new string('t', 60)])]).ToList());
    }

    private static McpServers Servers(Dictionary<string, string?> settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), NullLoggerFactory.Instance);
}
