using System.ComponentModel;
using AgentGrains.Grains.Tools;

namespace AgentGrains.Tests.Grains.Tools;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class AgentToolTests
{
    [Fact]
    public void FromMethod_Attribute_GivesNameAndPolicy()
    {
        var tool = AgentTool.FromMethod(Transfer);

        Assert.Equal("transfer", tool.Name);
        Assert.Equal("Moves money between two accounts.", tool.Description);
        Assert.Equal(TimeSpan.FromSeconds(30), tool.Timeout);
        Assert.Equal(2, tool.MaxCallsPerSession);
        Assert.Equal(ToolRisk.High, tool.Risk);
        Assert.True(tool.HasSideEffects);
        Assert.True(tool.NeedsConfirmation);
        var amount = tool.Function.JsonSchema.GetProperty("properties").GetProperty("amount");
        Assert.Equal("The amount in cents.", amount.GetProperty("description").GetString());
        Assert.Equal("integer", amount.GetProperty("type").GetString());
    }

    [Fact]
    public void FromMethod_AttributeWithOnlyAName_HasTheDefaultPolicy()
    {
        var tool = AgentTool.FromMethod(Ping);

        Assert.Equal(new AgentToolSettings(), tool.Settings);
        Assert.Equal(AgentTool.DefaultTimeout, tool.Timeout);
        Assert.Null(tool.MaxCallsPerSession);
        Assert.Equal(ToolRisk.Low, tool.Risk);
        Assert.False(tool.HasSideEffects);
        Assert.False(tool.NeedsConfirmation);
    }

    [Fact]
    public void BuiltInTools_AreLowRiskWithoutSideEffects()
    {
        foreach (var tool in new[] { CalculatorTool.Create(), ClockTool.Create(TimeProvider.System) })
        {
            Assert.Equal(ToolRisk.Low, tool.Risk);
            Assert.False(tool.HasSideEffects);
            Assert.False(tool.NeedsConfirmation);
        }
    }

    [Fact]
    public void FromType_MarkedMethods_BecomeToolsInNameOrder()
    {
        var tools = AgentTool.FromType(new Toolbox());

        Assert.Equal(["lookup", "static-echo"], tools.Select(t => t.Name));
    }

    [Fact]
    public void FromMethod_NoAttribute_ThrowsNamingTheMethod()
    {
        var error = Assert.Throws<ArgumentException>(() => AgentTool.FromMethod(Unmarked));

        Assert.Contains("Unmarked", error.Message, StringComparison.Ordinal);
        Assert.Contains("[AgentTool", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMethod_ZeroTimeout_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => AgentTool.FromMethod(ZeroTimeout));

        Assert.Contains("TimeoutSeconds of tool 'zero'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMethod_MaxCallsZero_ThrowsInsteadOfMeaningUnlimited()
    {
        var error = Assert.Throws<ArgumentException>(() => AgentTool.FromMethod(NoCalls));

        Assert.Contains("MaxCallsPerSession of tool 'never' is 0; it must be at least 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("dotted.name")]
    [InlineData("ünïcode")]
    public void Create_InvalidName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => AgentTool.Create(Ping, name));
    }

    [Fact]
    public void Create_NegativeTimeout_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => AgentTool.Create(Ping, "ping", TimeSpan.FromSeconds(-1)));

        Assert.Contains("must be positive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithSettings_ValidSettings_KeepsTheFunction()
    {
        var tool = AgentTool.FromMethod(Ping);

        var confirmed = tool.WithSettings(tool.Settings with { NeedsConfirmation = true });

        Assert.True(confirmed.NeedsConfirmation);
        Assert.Same(tool.Function, confirmed.Function);
        Assert.False(tool.NeedsConfirmation);
    }

    [Fact]
    public void WithSettings_MaxCallsBelowOne_Throws()
    {
        var tool = AgentTool.FromMethod(Ping);

        Assert.Throws<ArgumentException>(() => tool.WithSettings(tool.Settings with { MaxCallsPerSession = -1 }));
    }

    [AgentTool("transfer", TimeoutSeconds = 30, MaxCallsPerSession = 2, Risk = ToolRisk.High, SideEffects = true, NeedsConfirmation = true)]
    [Description("Moves money between two accounts.")]
    private static string Transfer([Description("The amount in cents.")] long amount, [Description("The target account.")] string to) => $"{amount} to {to}";

    [AgentTool("ping")]
    [Description("Answers pong.")]
    private static string Ping() => "pong";

    [AgentTool("zero", TimeoutSeconds = 0)]
    [Description("Has no time.")]
    private static string ZeroTimeout() => string.Empty;

    [AgentTool("never", MaxCallsPerSession = 0)]
    [Description("May never be called.")]
    private static string NoCalls() => string.Empty;

    [Description("Not marked as a tool.")]
    private static string Unmarked() => string.Empty;

    private sealed class Toolbox
    {
        private readonly string prefix = "key:";

        [AgentTool("static-echo")]
        [Description("Echoes its text.")]
        public static string Echo([Description("The text.")] string text) => text;

        [AgentTool("lookup")]
        [Description("Looks a key up.")]
        public string Lookup([Description("The key.")] string key) => prefix + key;

        public string NotATool() => prefix;
    }
}
