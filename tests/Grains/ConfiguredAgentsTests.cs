using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Memory;
using Microsoft.Extensions.Configuration;

namespace AgentGrains.Tests.Grains;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ConfiguredAgentsTests
{
    [Fact]
    public void Read_AgentWithToolsAndBudgets_DefinitionCarriesEveryValue()
    {
        var agents = ConfiguredAgents.Read(Configuration(new()
        {
            ["Agents:payer:Instructions"] = "Pay what you are asked to pay.",
            ["Agents:payer:Tools:0"] = "notify",
            ["Agents:payer:Tools:1"] = "calculator",
            ["Agents:payer:MaxSteps"] = "12",
            ["Agents:payer:MaxTokens"] = "5000",
            ["Agents:payer:MaxCost"] = "0.25",
            ["Agents:payer:WhenBusy"] = "interrupt",
            ["Agents:payer:WatchdogPeriod"] = "00:00:02",
            ["Agents:payer:Model"] = "gpt-4o-mini",
            ["Agents:payer:Specialists:0"] = "searcher",
            ["Agents:payer:Specialists:1"] = "analyst",
            ["Agents:payer:Handoffs:0"] = "billing",
        }));

        var payer = Assert.Single(agents);
        Assert.Equal(("payer", "Pay what you are asked to pay."), (payer.Name, payer.Instructions));
        Assert.Equal(["notify", "calculator"], payer.Tools);
        Assert.Equal(["searcher", "analyst"], payer.Specialists);
        Assert.Equal(["billing"], payer.Handoffs);
        Assert.Equal((12, 5000L, 0.25m, WhenBusy.Interrupt, TimeSpan.FromSeconds(2), "gpt-4o-mini"), (payer.MaxSteps, payer.MaxTokens, payer.MaxCost, payer.WhenBusy, payer.WatchdogPeriod, payer.Model));
        Assert.Equal(new AgentDefinition("x", "y", []).MaxWallTime, payer.MaxWallTime);
    }

    [Fact]
    public void Read_UnparsableValuesAndNoInstructions_FailsListingEveryProblem()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ConfiguredAgents.Read(Configuration(new()
        {
            ["Agents:bad:MaxSteps"] = "many",
            ["Agents:bad:WhenBusy"] = "sometimes",
            ["Agents:bad:StallTimeout"] = "soon",
        })));

        Assert.Contains("Agents:bad:MaxSteps is 'many'; set it to a whole number", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:bad:WhenBusy is 'sometimes'; set it to one of Enqueue, Reject, Interrupt", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:bad:StallTimeout is 'soon'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:bad:Instructions is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AgentWithMemory_GetsRememberAndRecallOnce()
    {
        var agents = ConfiguredAgents.Read(Configuration(new()
        {
            ["Agents:concierge:Instructions"] = "Help the guest.",
            ["Agents:concierge:Tools:0"] = "clock",
            ["Agents:concierge:Memory"] = "true",
            ["Agents:listed:Instructions"] = "Help the guest.",
            ["Agents:listed:Tools:0"] = "recall",
            ["Agents:listed:Tools:1"] = "clock",
            ["Agents:listed:Memory"] = "True",
            ["Agents:plain:Instructions"] = "Help the guest.",
            ["Agents:plain:Tools:0"] = "clock",
            ["Agents:off:Instructions"] = "Help the guest.",
            ["Agents:off:Memory"] = "false",
        })).ToDictionary(static a => a.Name, StringComparer.Ordinal);

        Assert.True(agents["concierge"].Memory);
        Assert.Equal(["clock", MemoryTools.RememberName, MemoryTools.RecallName], agents["concierge"].Tools);
        // A memory tool already listed is not listed twice.
        Assert.True(agents["listed"].Memory);
        Assert.Equal([MemoryTools.RecallName, "clock", MemoryTools.RememberName], agents["listed"].Tools);
        Assert.False(agents["plain"].Memory);
        Assert.Equal(["clock"], agents["plain"].Tools);
        Assert.False(agents["off"].Memory);
        Assert.Empty(agents["off"].Tools);
    }

    [Fact]
    public void Read_MemoryNotABoolean_FailsNamingTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ConfiguredAgents.Read(Configuration(new()
        {
            ["Agents:unsure:Instructions"] = "Help the guest.",
            ["Agents:unsure:Memory"] = "maybe",
        })));

        Assert.StartsWith("Invalid agents in configuration: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:unsure:Memory is 'maybe'; set it to true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NoConfiguration_NoAgents()
    {
        Assert.Empty(ConfiguredAgents.Read(null));
        Assert.Empty(ConfiguredAgents.Read(Configuration([])));
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
