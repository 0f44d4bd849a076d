using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Grains;

/// <summary><c>SummarizeAfter</c> and <c>SummaryMaxLength</c>: read from configuration, checked at start-up with the other agent settings.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class SummarySettingsTests
{
    private static readonly ToolRegistry Tools = new([CalculatorTool.Create()], TimeProvider.System, NullLogger<ToolRegistry>.Instance);

    [Fact]
    public void Read_SummarySettings_DefinitionCarriesThem()
    {
        var agents = ConfiguredAgents.Read(Configuration(new()
        {
            ["Agents:chat:Instructions"] = "Chat.",
            ["Agents:chat:SummarizeAfter"] = "30",
            ["Agents:chat:SummaryMaxLength"] = "1500",
            ["Agents:plain:Instructions"] = "Chat.",
        }));

        Assert.Equal((30, 1500), (agents[0].SummarizeAfter, agents[0].SummaryMaxLength));
        Assert.Equal((null, 2000), (agents[1].SummarizeAfter, agents[1].SummaryMaxLength));
    }

    [Fact]
    public void Read_UnparsableSummarizeAfter_Refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ConfiguredAgents.Read(Configuration(new()
        {
            ["Agents:chat:Instructions"] = "Chat.",
            ["Agents:chat:SummarizeAfter"] = "often",
        })));

        Assert.Contains("Agents:chat:SummarizeAfter is 'often'; set it to a whole number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Catalog_NegativeSummarizeAfterOrTinySummaryMaxLength_RefusedAtStartUp()
    {
        AgentDefinition[] definitions =
        [
            new("chat", "Chat.", []) { SummarizeAfter = -1, SummaryMaxLength = 10 },
            new("off", "Chat.", []) { SummarizeAfter = 0 },
        ];

        var error = Assert.Throws<InvalidOperationException>(() => new AgentCatalog(definitions, Tools));

        Assert.Contains("agent 'chat' has SummarizeAfter -1", error.Message, StringComparison.Ordinal);
        Assert.Contains("agent 'chat' has SummaryMaxLength 10", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'off'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuiltInAssistant_Summarizes()
    {
        Assert.True(BuiltInAgents.Assistant.SummarizeAfter >= BuiltInAgents.Assistant.HistoryWindow / 2);
        Assert.Equal(2000, BuiltInAgents.Assistant.SummaryMaxLength);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
