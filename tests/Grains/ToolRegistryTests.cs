using System.ComponentModel;
using System.Text.Json;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Grains;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ToolRegistryTests
{
    private static readonly string[] Calculator = [CalculatorTool.Name];

    [Fact]
    public void GetTools_Calculator_SchemaComesFromTheParameterTypesAndDescriptions()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        var tool = Assert.IsAssignableFrom<AIFunction>(Assert.Single(registry.GetTools(Calculator)));

        Assert.Equal("calculator", tool.Name);
        Assert.Contains("arithmetic", tool.Description, StringComparison.Ordinal);
        var expression = tool.JsonSchema.GetProperty("properties").GetProperty("expression");
        Assert.Equal("string", expression.GetProperty("type").GetString());
        Assert.Contains("(2 + 3) * 4", expression.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(["expression"], tool.JsonSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task InvokeAsync_ValidCall_ReturnsTheToolsResult()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        var result = await registry.InvokeAsync(Call("calculator", new() { ["expression"] = "(2+3)*4" }), Calculator, TestContext.Current.CancellationToken);

        Assert.Equal(ToolResult.Success("20"), result);
    }

    [Fact]
    public async Task InvokeAsync_JsonArguments_AreBoundToTheParameters()
    {
        var registry = CreateRegistry(CalculatorTool.Create());
        var arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"expression":"6*7"}""")!;

        var result = await registry.InvokeAsync(Call("calculator", arguments), Calculator, TestContext.Current.CancellationToken);

        Assert.Equal(ToolResult.Success("42"), result);
    }

    [Fact]
    public async Task InvokeAsync_AsyncToolWithTypedParameters_ReturnsItsAwaitedResultInInvariantFormat()
    {
        var registry = CreateRegistry(AgentTool.Create(Scale, "scale"));
        var arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"value":1.5,"factor":3}""")!;

        var result = await registry.InvokeAsync(Call("scale", arguments), ["scale"], TestContext.Current.CancellationToken);

        Assert.Equal(ToolResult.Success("4.5"), result);
    }

    [Fact]
    public async Task InvokeAsync_UnknownTool_ReturnsErrorListingTheAllowedTools()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        var result = await registry.InvokeAsync(Call("weather", []), Calculator, TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.Equal("error: unknown tool 'weather'; available tools: calculator.", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_RegisteredToolTheAgentMayNotUse_ReturnsUnknownToolError()
    {
        var registry = CreateRegistry(CalculatorTool.Create(), ClockTool.Create(TimeProvider.System));

        var result = await registry.InvokeAsync(Call("clock", []), Calculator, TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.StartsWith("error: unknown tool 'clock'", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_MissingArgument_ReturnsErrorNamingIt()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        var result = await registry.InvokeAsync(Call("calculator", []), Calculator, TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.StartsWith("error: 'calculator' failed:", result.Content, StringComparison.Ordinal);
        Assert.Contains("expression", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ArgumentOfTheWrongType_ReturnsError()
    {
        var registry = CreateRegistry(CalculatorTool.Create());
        var arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"expression":{"left":6,"right":7}}""")!;

        var result = await registry.InvokeAsync(Call("calculator", arguments), Calculator, TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.StartsWith("error: 'calculator' failed:", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ArgumentsThatAreNotJson_ReturnsError()
    {
        var registry = CreateRegistry(CalculatorTool.Create());
        var call = FunctionCallContent.CreateFromParsedArguments(
            "{\"expression\": \"6*7\"", "call_1", "calculator", static json => JsonSerializer.Deserialize<Dictionary<string, object?>>(json));

        var result = await registry.InvokeAsync(call, Calculator, TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.StartsWith("error: the arguments for 'calculator' are not valid JSON", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ToolThrows_ReturnsErrorWithItsMessage()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        var result = await registry.InvokeAsync(Call("calculator", new() { ["expression"] = "1/0" }), Calculator, TestContext.Current.CancellationToken);

        Assert.Equal(ToolResult.Error("'calculator' failed: division by zero."), result);
    }

    [Fact]
    public async Task InvokeAsync_ToolExceedsItsTimeout_ReturnsTimeoutErrorAndCancelsTheTool()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hanging = new HangingTool(cancelled);
        var registry = CreateRegistry(AgentTool.Create(hanging.WaitAsync, "hang", TimeSpan.FromMilliseconds(100)));

        var result = await registry.InvokeAsync(Call("hang", []), ["hang"], TestContext.Current.CancellationToken);

        Assert.Equal(ToolResult.Error("'hang' did not finish within 0.1 s."), result);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task InvokeAsync_SynchronousToolThatNeverReturns_IsAbandonedAtItsTimeout()
    {
        using var release = new ManualResetEventSlim();
        var blocking = new BlockingTool(release);
        var registry = CreateRegistry(AgentTool.Create(blocking.Block, "block", TimeSpan.FromMilliseconds(100)));

        try
        {
            var result = await registry.InvokeAsync(Call("block", []), ["block"], TestContext.Current.CancellationToken);

            Assert.Equal(ToolResult.Error("'block' did not finish within 0.1 s."), result);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public void Constructor_TwoToolsWithTheSameName_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => CreateRegistry(CalculatorTool.Create(), CalculatorTool.Create()));

        Assert.Contains("'calculator'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MethodWithoutDescription_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => AgentTool.Create(Undescribed, "nothing"));

        Assert.Contains("[Description]", error.Message, StringComparison.Ordinal);
    }

    [Description("Multiplies a value by an integer factor.")]
    private static async Task<double> Scale([Description("The value.")] double value, [Description("The factor.")] int factor)
    {
        await Task.Yield();
        return value * factor;
    }

    private static string Undescribed() => string.Empty;

    private static ToolRegistry CreateRegistry(params AgentTool[] tools) =>
        new(tools, TimeProvider.System, NullLogger<ToolRegistry>.Instance);

    private static FunctionCallContent Call(string name, Dictionary<string, object?> arguments) => new("call_1", name, arguments);

    private sealed class HangingTool(TaskCompletionSource cancelled)
    {
        [Description("Waits until it is cancelled.")]
        public async Task<string> WaitAsync(CancellationToken cancellationToken)
        {
            using var registration = cancellationToken.Register(cancelled.SetResult);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return "never";
        }
    }

    private sealed class BlockingTool(ManualResetEventSlim release)
    {
        [Description("Blocks its thread until released, ignoring cancellation.")]
        public string Block()
        {
            release.Wait();
            return "released";
        }
    }
}
