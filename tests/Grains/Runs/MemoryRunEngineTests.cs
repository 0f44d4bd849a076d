using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Sessions;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.Tests.Grains.Memory;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>When the run engine recalls the user's facts, and where the model sees them: no silo, no storage.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class MemoryRunEngineTests
{
    private const string Instructions = "Be helpful.";

    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
    private readonly AgentSessionState state = new();
    private readonly MemorySessionLog log = new();
    private readonly ToolRegistry tools;
    private readonly AgentCatalog catalog;
    private readonly RunEngine engine;

    public MemoryRunEngineTests()
    {
        tools = new ToolRegistry([CalculatorTool.Create(), .. NoMemoryStore.Tools()], clock, NullLogger<ToolRegistry>.Instance);
        catalog = new AgentCatalog(
            [
                new AgentDefinition("keeper", Instructions, [CalculatorTool.Name, MemoryTools.RememberName, MemoryTools.RecallName]) { Memory = true },
                new AgentDefinition("tooled", Instructions, [CalculatorTool.Name, MemoryTools.RememberName, MemoryTools.RecallName]),
            ],
            tools);
        engine = NewEngine();
    }

    [Fact]
    public async Task PlanAsync_AgentWithMemoryAndSessionWithUser_RecallsWithTheWholeMessageBeforeTheFirstModelCall()
    {
        engine.Create("keeper", "ada");
        // Longer than a run's journaled preview: the query is the whole message.
        var message = new string('x', RunState.PreviewLength) + " What is my name?";
        engine.Submit(message);

        var plan = Assert.IsType<MemoryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal((state.Active!.RunId, 1, "ada", message, "keeper"), (plan.RunId, plan.Step, plan.UserId, plan.Query, plan.Agent.Name));
        Assert.DoesNotContain(log.Events, static e => e.Type == RunEventTypes.MemoryRecalled);
    }

    [Fact]
    public async Task RecordMemory_Facts_NextModelCallSeesThemAfterTheInstructions_AndAResumedRunDoesNotRecallAgain()
    {
        engine.Create("keeper", "ada");
        engine.Submit("What is my name?");
        var plan = Assert.IsType<MemoryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        engine.RecordMemory(plan, ["My name is Ada."], null);
        var effects = engine.TakeEffects();
        var next = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.True(effects.StateChanged);
        Assert.Equal(["My name is Ada."], state.Active!.Memory);
        Assert.Equal(1, next.Step);
        Assert.Equal([Instructions, MemoryContext.Carrier(["My name is Ada."]).Text, "What is my name?"], next.Messages.Select(static m => m.Text));
        Assert.Equal([ChatRole.System, ChatRole.System, ChatRole.User], next.Messages.Select(static m => m.Role));
        Assert.Equal(["My name is Ada."], MemoryContext.CarriedBy(next.Messages[1]));
        Assert.Equal([CalculatorTool.Name, MemoryTools.RememberName, MemoryTools.RecallName], next.Options.Tools!.Select(static t => t.Name));
        var recalled = Assert.Single(log.Events, static e => e.Type == RunEventTypes.MemoryRecalled);
        Assert.Equal((RunStatus.Completed, "My name is Ada.", 1), (recalled.Status, recalled.Text, recalled.Step));

        // A resumed run (a new driver over the same journal) plans from what was journaled: no second recall.
        var resumed = Assert.IsType<ModelPlan>(await NewEngine().PlanAsync("resumed", CancellationToken.None));
        Assert.Equal(next.Messages.Select(static m => m.Text), resumed.Messages.Select(static m => m.Text));
        // A second outcome of the same recall (another driver) changes nothing.
        engine.RecordMemory(plan, ["Something else."], null);
        Assert.Equal(["My name is Ada."], state.Active!.Memory);
        Assert.Single(log.Events, static e => e.Type == RunEventTypes.MemoryRecalled);
    }

    [Fact]
    public async Task RecordMemory_NoFactMatches_ModelCallHasNoMemoryMessage()
    {
        engine.Create("keeper", "ada");
        engine.Submit("What is my name?");
        var plan = Assert.IsType<MemoryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        engine.RecordMemory(plan, [], null);
        var next = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal([Instructions, "What is my name?"], next.Messages.Select(static m => m.Text));
        Assert.Equal(RunStatus.Completed, Assert.Single(log.Events, static e => e.Type == RunEventTypes.MemoryRecalled).Status);
    }

    [Fact]
    public async Task RecordMemory_Failure_JournalsAFailedRecallAndTheRunGoesOnToItsModelCall()
    {
        engine.Create("keeper", "ada");
        engine.Submit("What is my name?");
        var plan = Assert.IsType<MemoryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        engine.RecordMemory(plan, [], "the database is down");
        var next = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal(RunStatus.Running, state.Active!.Status);
        var recalled = Assert.Single(log.Events, static e => e.Type == RunEventTypes.MemoryRecalled);
        Assert.Equal(RunStatus.Failed, recalled.Status);
        Assert.Contains("the database is down", recalled.Reason, StringComparison.Ordinal);
        Assert.Equal([Instructions, "What is my name?"], next.Messages.Select(static m => m.Text));
        // The run goes on without the facts; it does not try to recall them again.
        engine.RecordModelReply(next, Reply("I don't know what your name is."), early: null);
        Assert.Null(state.Active);
        Assert.Single(log.Events, static e => e.Type == RunEventTypes.MemoryRecalled);
    }

    [Fact]
    public async Task PlanAsync_EveryRunRecallsAgain()
    {
        engine.Create("keeper", "ada");
        engine.Submit("My name is Ada.");
        engine.RecordMemory(Assert.IsType<MemoryPlan>(await engine.PlanAsync(null, CancellationToken.None)), [], null);
        engine.RecordModelReply(Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None)), Reply("Got it."), early: null);
        engine.TakeEffects();

        engine.Submit("What is my name?");
        var second = Assert.IsType<MemoryPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal(("What is my name?", 1), (second.Query, second.Step));
        Assert.NotEqual(log.Events.First(static e => e.Type == RunEventTypes.MemoryRecalled).RunId, second.RunId);
    }

    [Fact]
    public async Task PlanAsync_SessionWithoutUser_NoRecallAndNoMemoryToolsOffered()
    {
        engine.Create("keeper");
        engine.Submit("What is my name?");

        var plan = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal([CalculatorTool.Name], plan.Options.Tools!.Select(static t => t.Name));
        Assert.Equal([Instructions, "What is my name?"], plan.Messages.Select(static m => m.Text));
        Assert.DoesNotContain(log.Events, static e => e.Type == RunEventTypes.MemoryRecalled);
    }

    [Fact]
    public async Task PlanAsync_AgentWithoutMemory_SessionWithUser_NoRecallButTheMemoryToolsAreOffered()
    {
        engine.Create("tooled", "ada");
        engine.Submit("What is my name?");

        var plan = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));

        Assert.Equal([CalculatorTool.Name, MemoryTools.RememberName, MemoryTools.RecallName], plan.Options.Tools!.Select(static t => t.Name));
        Assert.Equal([Instructions, "What is my name?"], plan.Messages.Select(static m => m.Text));
        Assert.DoesNotContain(log.Events, static e => e.Type == RunEventTypes.MemoryRecalled);
    }

    private RunEngine NewEngine() =>
        new("s1", () => state, log, catalog, tools, new ModelOptions(), new DelegationOptions(), clock, NullLogger.Instance, "silo-a");

    private static ModelOutcome Reply(string text) =>
        new(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 } }, null, null, 1);
}
