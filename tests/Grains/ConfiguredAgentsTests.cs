using AgentGrains.Grains.Agents;
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
    public void Read_NoConfiguration_NoAgents()
    {
        Assert.Empty(ConfiguredAgents.Read(null));
        Assert.Empty(ConfiguredAgents.Read(Configuration([])));
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
