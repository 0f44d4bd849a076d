using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Sessions;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>When the run engine makes the running summary, and what the model sees with it: no silo, no storage.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class SummaryEngineTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly AgentSessionState state = new();
    private readonly MemorySessionLog log = new();
    private readonly RunEngine engine;

    public SummaryEngineTests()
    {
        var tools = new ToolRegistry([CalculatorTool.Create()], clock, NullLogger<ToolRegistry>.Instance);
        var catalog = new AgentCatalog(
            [
                new AgentDefinition("brief", "Be brief.", []) { HistoryWindow = 2, SummarizeAfter = 4, SummaryMaxLength = 120 },
                new AgentDefinition("forgetful", "Be brief.", []) { HistoryWindow = 2 },
            ],
            tools);
        engine = new RunEngine("s1", () => state, log, catalog, tools, new ModelOptions(), new DelegationOptions(), clock, NullLogger.Instance, "silo-a");
    }

    [Fact]
    public async Task PlanAsync_FewerMessagesOutOfTheWindowThanSummarizeAfter_AsksTheModelWithoutASummary()
    {
        engine.Create("brief");
        await CompleteTurnAsync("my name is Ada");
        await CompleteTurnAsync("hello");

        engine.Submit("what is my name?");
        var plan = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));

        // Two messages are out of the window (four needed): the window and the question, no summary.
        Assert.Null(state.Summary);
        Assert.Equal(["Be brief.", "hello", "Got it.", "what is my name?"], plan.Messages.Select(static m => m.Text));
    }

    [Fact]
    public async Task PlanAsync_SummarizeAfterMessagesOutOfTheWindow_SummaryStepComesFirstWithThePreviousSummaryAndTheNewMessages()
    {
        engine.Create("brief");
        await CompleteTurnAsync("my name is Ada");
        await CompleteTurnAsync("hello");
        await CompleteTurnAsync("I live in Paris");

        engine.Submit("what is my name?");
        var plan = Assert.IsType<SummaryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal(4, plan.Through);
        Assert.Equal(1, plan.Request.Step);
        Assert.True(SummaryRequest.IsRequest(plan.Request.Messages, plan.Request.Options, out var maxLength));
        Assert.Equal(120, maxLength);
        var request = plan.Request.Messages[^1].Text;
        Assert.Contains("user: my name is Ada", request, StringComparison.Ordinal);
        Assert.Contains("user: hello", request, StringComparison.Ordinal);
        Assert.DoesNotContain("Paris", request, StringComparison.Ordinal);
        Assert.Null(plan.Request.Options.Tools);
    }

    [Fact]
    public async Task RecordSummary_Committed_LaterCallsSeeItAfterTheInstructionsAndItIsNotAskedAgain()
    {
        engine.Create("brief");
        await CompleteTurnAsync("my name is Ada");
        await CompleteTurnAsync("hello");
        await CompleteTurnAsync("I live in Paris");
        engine.Submit("what is my name?");
        var plan = Assert.IsType<SummaryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        engine.RecordSummary(plan, Reply("The user is Ada."));
        var effects = engine.TakeEffects();
        // A resumed run plans from the journal: the summary is there, the step's model call is next.
        var next = Assert.IsType<ModelPlan>(await engine.PlanAsync("resumed", CancellationToken.None));

        Assert.True(effects.StateChanged);
        Assert.Equal("The user is Ada.", state.Summary);
        Assert.Equal(4, state.SummaryThrough);
        var updated = Assert.Single(log.Events, static e => e.Type == RunEventTypes.SummaryUpdated);
        Assert.Equal("The user is Ada.", updated.Text);
        Assert.Equal(RunStatus.Completed, updated.Status);
        Assert.Equal(
            ["Be brief.", SummaryRequest.Prefix + "The user is Ada.", "I live in Paris", "Got it.", "what is my name?"],
            next.Messages.Select(static m => m.Text));
        Assert.Equal(ChatRole.System, next.Messages[1].Role);
        Assert.Equal(1, next.Step);

        // A second outcome of the same summary (another driver) changes nothing.
        engine.RecordSummary(plan, Reply("Something else."));
        Assert.Equal("The user is Ada.", state.Summary);
        Assert.Single(log.Events, static e => e.Type == RunEventTypes.SummaryUpdated);
    }

    [Fact]
    public async Task PlanAsync_SummaryMadeAndFewNewMessagesOut_NoNewSummaryUntilAnotherSummarizeAfterFallOut()
    {
        engine.Create("brief");
        await CompleteTurnAsync("my name is Ada");
        await CompleteTurnAsync("hello");
        await CompleteTurnAsync("I live in Paris");
        await CompleteTurnAsync("one", summary: "Ada.");
        Assert.Equal(4, state.SummaryThrough);

        engine.Submit("two");
        var two = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));
        engine.RecordModelReply(two, Reply("ok"), early: null);

        engine.Submit("three");
        var plan = Assert.IsType<SummaryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal(8, plan.Through);
        Assert.Contains($"{SummaryRequest.PreviousHeading}\nAda.", plan.Request.Messages[^1].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("my name is Ada", plan.Request.Messages[^1].Text, StringComparison.Ordinal);
        Assert.Contains("user: I live in Paris", plan.Request.Messages[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordSummary_LongerThanSummaryMaxLength_KeptCut()
    {
        engine.Create("brief");
        await CompleteTurnAsync("my name is Ada");
        await CompleteTurnAsync("hello");
        await CompleteTurnAsync("I live in Paris");
        engine.Submit("and then");
        var plan = Assert.IsType<SummaryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        engine.RecordSummary(plan, Reply(new string('x', 500)));

        Assert.Equal(120, state.Summary!.Length);
    }

    [Fact]
    public async Task RecordSummary_ModelFailed_RunGoesOnWithoutASummaryAndDoesNotAskAgain()
    {
        engine.Create("brief");
        await CompleteTurnAsync("my name is Ada");
        await CompleteTurnAsync("hello");
        await CompleteTurnAsync("I live in Paris");
        engine.Submit("what is my name?");
        var plan = Assert.IsType<SummaryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        engine.RecordSummary(plan, new ModelOutcome(null, RunStatus.Failed, "model error", 0));
        var next = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal(RunStatus.Running, state.Active!.Status);
        Assert.Null(state.Summary);
        Assert.Equal(0, state.SummaryThrough);
        Assert.Equal(RunStatus.Failed, Assert.Single(log.Events, static e => e.Type == RunEventTypes.SummaryUpdated).Status);
        Assert.Equal(4, next.Messages.Count);
    }

    [Fact]
    public async Task PlanAsync_AgentWithoutSummarizeAfter_NeverSummarizes()
    {
        engine.Create("forgetful");
        for (var i = 0; i < 6; i++)
        {
            await CompleteTurnAsync($"message {i}");
        }

        engine.Submit("what is my name?");

        Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));
        Assert.Null(state.Summary);
    }

    private static ModelOutcome Reply(string text) =>
        new(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 } }, null, null, 1);

    /// <summary>One turn: the message, a summary first when one is due (answered with <paramref name="summary"/>), and the reply "Got it.".</summary>
    private async Task CompleteTurnAsync(string text, string summary = "summary")
    {
        engine.Submit(text);
        var plan = await engine.PlanAsync(null, CancellationToken.None);
        if (plan is SummaryPlan due)
        {
            engine.RecordSummary(due, Reply(summary));
            plan = await engine.PlanAsync(null, CancellationToken.None);
        }

        engine.RecordModelReply(Assert.IsType<ModelPlan>(plan), Reply("Got it."), early: null);
        Assert.Null(state.Active);
        engine.TakeEffects();
    }
}
