using System.ComponentModel;
using System.Text.Json;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Grains.Tools;

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

        var result = await InvokeAsync(registry, Call("calculator", new() { ["expression"] = "(2+3)*4" }), Calculator);

        Assert.Equal(ToolResult.Success("20"), result);
    }

    [Fact]
    public async Task InvokeAsync_JsonArguments_AreBoundToTheParameters()
    {
        var registry = CreateRegistry(CalculatorTool.Create());
        var arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"expression":"6*7"}""")!;

        var result = await InvokeAsync(registry, Call("calculator", arguments), Calculator);

        Assert.Equal(ToolResult.Success("42"), result);
    }

    [Fact]
    public async Task InvokeAsync_AsyncToolWithTypedParameters_ReturnsItsAwaitedResultInInvariantFormat()
    {
        var registry = CreateRegistry(AgentTool.Create(Scale, "scale"));
        var arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"value":1.5,"factor":3}""")!;

        var result = await InvokeAsync(registry, Call("scale", arguments), ["scale"]);

        Assert.Equal(ToolResult.Success("4.5"), result);
    }

    [Fact]
    public async Task InvokeAsync_UnknownTool_ReturnsErrorListingTheAllowedTools()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        var result = await InvokeAsync(registry, Call("weather", []), Calculator);

        Assert.True(result.IsError);
        Assert.Equal("error: unknown tool 'weather'; available tools: calculator.", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_RegisteredToolTheAgentMayNotUse_ReturnsUnknownToolError()
    {
        var registry = CreateRegistry(CalculatorTool.Create(), ClockTool.Create(TimeProvider.System));

        var result = await InvokeAsync(registry, Call("clock", []), Calculator);

        Assert.True(result.IsError);
        Assert.StartsWith("error: unknown tool 'clock'", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_MissingArgumentAndUnknownOne_ReturnsErrorNamingBoth()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        var result = await InvokeAsync(registry, Call("calculator", new() { ["foo"] = 1 }), Calculator);

        Assert.Equal(
            ToolResult.Error("invalid arguments for 'calculator': 'expression' is required; 'foo' is not a parameter (parameters: expression)"),
            result);
    }

    [Fact]
    public async Task InvokeAsync_ArgumentOfTheWrongType_ReturnsError()
    {
        var registry = CreateRegistry(CalculatorTool.Create());
        var arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"expression":{"left":6,"right":7}}""")!;

        var result = await InvokeAsync(registry, Call("calculator", arguments), Calculator);

        Assert.Equal(ToolResult.Error("invalid arguments for 'calculator': 'expression' must be a string, not an object"), result);
    }

    [Fact]
    public async Task InvokeAsync_ArgumentsThatAreNotJson_ReturnsError()
    {
        var registry = CreateRegistry(CalculatorTool.Create());
        var call = FunctionCallContent.CreateFromParsedArguments(
            "{\"expression\": \"6*7\"", "call_1", "calculator", static json => JsonSerializer.Deserialize<Dictionary<string, object?>>(json));

        var result = await InvokeAsync(registry, call, Calculator);

        Assert.True(result.IsError);
        Assert.StartsWith("error: the arguments for 'calculator' are not valid JSON", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ToolThrows_ReturnsErrorWithItsMessage()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        var result = await InvokeAsync(registry, Call("calculator", new() { ["expression"] = "1/0" }), Calculator);

        Assert.Equal(ToolResult.Error("'calculator' failed: division by zero."), result);
    }

    [Fact]
    public async Task InvokeAsync_ToolExceedsItsTimeout_ReturnsTimeoutErrorAndCancelsTheTool()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hanging = new HangingTool(cancelled);
        var registry = CreateRegistry(AgentTool.Create(hanging.WaitAsync, "hang", TimeSpan.FromMilliseconds(100)));

        var result = await InvokeAsync(registry, Call("hang", []), ["hang"]);

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
            var result = await InvokeAsync(registry, Call("block", []), ["block"]);

            Assert.Equal(ToolResult.Error("'block' did not finish within 0.1 s."), result);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task InvokeAsync_ToolTakingAContext_ReceivesTheCallersContext()
    {
        var recorder = new ContextRecorder();
        var registry = CreateRegistry(AgentTool.FromMethod(recorder.Record));
        var context = new ToolContext("s1", "run-7", step: 3, callIndex: 1, "record");

        var result = await registry.InvokeAsync(Call("record", new() { ["note"] = "hi" }), context, ["record"], TestContext.Current.CancellationToken);

        Assert.Equal(ToolResult.Success("hi"), result);
        var seen = Assert.Single(recorder.Seen);
        Assert.Same(context, seen);
        Assert.Equal("run-7:3:1", seen.IdempotencyKey);
    }

    [Fact]
    public void GetTools_ToolTakingAContextAndToken_SchemaHasOnlyTheModelsParameters()
    {
        var registry = CreateRegistry(AgentTool.FromMethod(new ContextRecorder().Record));

        var schema = Assert.IsAssignableFrom<AIFunction>(Assert.Single(registry.GetTools(["record"]))).JsonSchema;

        Assert.Equal(["note"], schema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["note"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        var json = schema.GetRawText();
        Assert.DoesNotContain("context", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("cancellation", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task InvokeAsync_InvalidArguments_DoesNotRunTheTool()
    {
        var recorder = new ContextRecorder();
        var registry = CreateRegistry(AgentTool.FromMethod(recorder.Record));

        var result = await InvokeAsync(registry, Call("record", new() { ["note"] = 5 }), ["record"]);

        Assert.Equal(ToolResult.Error("invalid arguments for 'record': 'note' must be a string, not the number 5"), result);
        Assert.Empty(recorder.Seen);
    }

    [Fact]
    public async Task InvokeAsync_ContextForAnotherTool_ThrowsBecauseTheEngineBuiltItWrong()
    {
        var registry = CreateRegistry(CalculatorTool.Create());
        var context = new ToolContext("s1", "r1", 1, 0, "clock");

        await Assert.ThrowsAsync<ArgumentException>(() =>
            registry.InvokeAsync(Call("calculator", new() { ["expression"] = "1" }), context, Calculator, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Validate_ValidCall_ReturnsNull()
    {
        var registry = CreateRegistry(CalculatorTool.Create());

        Assert.Null(registry.Validate(Call("calculator", new() { ["expression"] = "1+1" }), Calculator));
    }

    [Fact]
    public void Validate_ArgumentsThatAreNotJson_ReturnsErrorBeforeLookingAtTheSchema()
    {
        var registry = CreateRegistry(CalculatorTool.Create());
        var call = FunctionCallContent.CreateFromParsedArguments(
            "{\"expression\": ", "call_1", "calculator", static json => JsonSerializer.Deserialize<Dictionary<string, object?>>(json));

        var result = registry.Validate(call, Calculator);

        Assert.NotNull(result);
        Assert.StartsWith("error: the arguments for 'calculator' are not valid JSON", result.Value.Content, StringComparison.Ordinal);
    }

    [Fact]
    public void TryGet_RegisteredTool_ExposesItsPolicy()
    {
        var registry = CreateRegistry(CalculatorTool.Create(), AgentTool.FromMethod(new ContextRecorder().Record));

        Assert.True(registry.TryGet("record", out var tool));
        Assert.Equal(new AgentToolSettings { Timeout = TimeSpan.FromSeconds(2), MaxCallsPerSession = 3, Risk = ToolRisk.High, HasSideEffects = true, NeedsConfirmation = true }, tool.Settings);
        Assert.False(registry.TryGet("weather", out _));
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

    private static Task<ToolResult> InvokeAsync(ToolRegistry registry, FunctionCallContent call, IReadOnlyCollection<string> allowed) =>
        registry.InvokeAsync(call, new ToolContext("s1", "s1:0", 1, 0, call.Name), allowed, TestContext.Current.CancellationToken);

    private static FunctionCallContent Call(string name, Dictionary<string, object?> arguments) => new("call_1", name, arguments);

    private sealed class ContextRecorder
    {
        public List<ToolContext> Seen { get; } = [];

        [AgentTool("record", TimeoutSeconds = 2, MaxCallsPerSession = 3, Risk = ToolRisk.High, SideEffects = true, NeedsConfirmation = true)]
        [Description("Records the context it was called with and echoes the note.")]
        public string Record(ToolContext context, [Description("A note.")] string note, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Seen.Add(context);
            return note;
        }
    }

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
