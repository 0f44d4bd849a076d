using System.ComponentModel;
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

/// <summary>The run engine on its own: no silo, no storage; a list stands in for the session's streams.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class RunEngineTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider clock = new(Start);
    private readonly AgentSessionState state = new();
    private readonly MemorySessionLog log = new();
    private readonly RunEngine engine;

    public RunEngineTests()
    {
        var tools = new ToolRegistry(
            [CalculatorTool.Create(), AgentTool.Create(Pay, "pay", new AgentToolSettings { HasSideEffects = true, NeedsConfirmation = true })],
            clock,
            NullLogger<ToolRegistry>.Instance);
        var catalog = new AgentCatalog([new AgentDefinition("clerk", "Pay when asked.", ["calculator", "pay"]) { MaxSteps = 2 }], tools);
        engine = new RunEngine("s1", () => state, log, catalog, tools, new ModelOptions(), new DelegationOptions(), clock, NullLogger.Instance, "silo-a");
    }

    [Fact]
    public void Submit_IdleSession_StartsTheRunWithAWatchdogAndADriver()
    {
        engine.Create("clerk");
        engine.TakeEffects();

        var submission = engine.Submit("pay bob");
        var effects = engine.TakeEffects();

        Assert.Equal(new RunSubmission("s1~1", RunStatus.Running), submission);
        Assert.True(effects.StateChanged);
        Assert.Equal(new DriverChange(Start: true, null), effects.Driver);
        Assert.Equal([new ReminderChange(RunEngine.WatchdogReminder, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10))], effects.Reminders);
        Assert.Equal([HistoryMessages.User], log.History.Select(static h => h.Role));
        Assert.Equal([RunEventTypes.Started], log.Events.Select(static e => e.Type));
    }

    [Fact]
    public void Submit_UnknownSession_RefusedAndNothingChanges()
    {
        Assert.Throws<SessionNotFoundException>(() => engine.Submit("hello"));

        Assert.True(engine.TakeEffects().IsEmpty);
        Assert.Empty(log.History);
        Assert.Equal(0, state.Runs);
    }

    [Fact]
    public async Task RecordModelReply_CallNeedsConfirmation_WaitsForApprovalWithoutDriverAndTheWatchdogsTickUnregistersIt()
    {
        var plan = await StartRunAsync();

        engine.RecordModelReply(plan, Reply(new FunctionCallContent("c1", "pay", new Dictionary<string, object?> { ["to"] = "bob" })), early: null);
        var effects = engine.TakeEffects();

        Assert.Equal(RunStatus.AwaitingApproval, state.Active!.Status);
        Assert.Equal([new ReminderChange(RunEngine.ApprovalReminder, TimeSpan.FromHours(24), TimeSpan.Zero)], effects.Reminders);
        Assert.Null(await engine.PlanAsync(null, CancellationToken.None));

        engine.Tick(RunEngine.WatchdogReminder, driverAlive: false);
        var tick = engine.TakeEffects();

        Assert.Equal([new ReminderChange(RunEngine.WatchdogReminder, null, TimeSpan.Zero)], tick.Reminders);
        Assert.Null(tick.Driver);
        Assert.Equal(RunStatus.AwaitingApproval, state.Active!.Status);
    }

    [Fact]
    public async Task Cancel_RunAwaitingApproval_UnregistersItsApprovalTimeout()
    {
        var plan = await StartRunAsync();
        engine.RecordModelReply(plan, Reply(new FunctionCallContent("c1", "pay", new Dictionary<string, object?> { ["to"] = "bob" })), early: null);
        engine.TakeEffects();

        engine.Cancel("s1~1", reason: null);
        var effects = engine.TakeEffects();

        Assert.Equal(RunStatus.Cancelled, Assert.Single(log.Runs).Status);
        Assert.Equal([new ReminderChange(RunEngine.ApprovalReminder, null, TimeSpan.Zero)], effects.Reminders);
    }

    [Fact]
    public async Task DecideApproval_Denied_ModelSeesAToolErrorAndTheRunGoesOn()
    {
        var plan = await StartRunAsync();
        engine.RecordModelReply(plan, Reply(new FunctionCallContent("c1", "pay", new Dictionary<string, object?> { ["to"] = "bob" })), early: null);
        engine.TakeEffects();

        var view = engine.DecideApproval("s1~1", "c1", approve: false);
        var effects = engine.TakeEffects();

        Assert.Equal(RunStatus.Running, view.Status);
        Assert.Equal(new DriverChange(Start: true, null), effects.Driver);
        var tool = Assert.Single(log.History, static h => h.Role == HistoryMessages.Tool);
        Assert.StartsWith("error: the call was not run: denied by a person", tool.Content, StringComparison.Ordinal);
        var next = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));
        Assert.Equal(2, next.Step);
    }

    [Fact]
    public async Task PlanAsync_StepBudgetSpent_EndsTheRunAsBudgetExceededAndTheWatchdogsNextTickUnregistersIt()
    {
        var plan = await StartRunAsync();
        engine.RecordModelReply(plan, Reply(new FunctionCallContent("c1", "calculator", new Dictionary<string, object?> { ["expression"] = "1+1" })), early: null);
        engine.RecordToolResult("s1~1", 1, 0, new ToolOutcome(ToolResult.Success("2"), 1));
        var second = Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));
        engine.RecordModelReply(second, Reply(new FunctionCallContent("c2", "calculator", new Dictionary<string, object?> { ["expression"] = "2+2" })), early: null);
        engine.RecordToolResult("s1~1", 2, 0, new ToolOutcome(ToolResult.Success("4"), 1));
        engine.TakeEffects();

        Assert.Null(await engine.PlanAsync(null, CancellationToken.None));
        var effects = engine.TakeEffects();

        var finished = Assert.Single(log.Runs);
        Assert.Equal(RunStatus.BudgetExceeded, finished.Status);
        Assert.Contains("step budget exhausted", finished.Reason, StringComparison.Ordinal);
        Assert.Null(state.Active);
        Assert.Empty(effects.Reminders);
        Assert.Equal(new DriverChange(Start: false, null), effects.Driver);

        engine.Tick(RunEngine.WatchdogReminder, driverAlive: false);
        var tick = engine.TakeEffects();

        Assert.Equal([new ReminderChange(RunEngine.WatchdogReminder, null, TimeSpan.Zero)], tick.Reminders);
        Assert.Null(tick.Driver);
    }

    [Fact]
    public async Task RecordModelReply_SameStepTwice_SecondIsIgnored()
    {
        var plan = await StartRunAsync();

        engine.RecordModelReply(plan, Reply(text: "first"), early: null);
        engine.RecordModelReply(plan, Reply(text: "second"), early: null);

        Assert.Equal(["pay bob", "first"], log.History.Select(static h => h.Content));
        Assert.Equal("first", Assert.Single(log.Runs).Reply);
    }

    [Fact]
    public async Task Cancel_QueuedRun_EndsWhenItsTurnComesSoRunsEndInNumberOrder()
    {
        await StartRunAsync();
        engine.Submit("and pay carol");
        engine.TakeEffects();

        var view = engine.Cancel("s1~2", reason: null);
        Assert.Equal(RunStatus.Cancelled, view!.Status);
        Assert.Empty(log.Runs);

        engine.Cancel("s1~1", reason: null);

        Assert.Equal([("s1~1", RunStatus.Cancelled), ("s1~2", RunStatus.Cancelled)], log.Runs.Select(static r => (r.RunId, r.Status)));
        Assert.Null(engine.Cancel("s1~1", reason: null));
    }

    [Fact]
    public async Task RunView_StepAndCallOutcomesWithStartTimes_CarriesThemForTheTimeline()
    {
        var plan = await StartRunAsync();
        var modelStart = Start.AddSeconds(1);
        var toolStart = Start.AddSeconds(2);

        engine.RecordModelReply(plan, Reply(new FunctionCallContent("c1", "calculator", new Dictionary<string, object?> { ["expression"] = "1+1" })) with { StartedAt = modelStart, DurationMs = 250 }, early: null);
        engine.RecordToolResult("s1~1", 1, 0, new ToolOutcome(ToolResult.Success("2"), 40, StartedAt: toolStart));
        var view = state.Active!.ToView("s1", "clerk", messages: 0);

        var step = Assert.Single(view.Steps);
        Assert.Equal(modelStart, step.ModelStartedAt);
        Assert.Equal(250, step.ModelDurationMs);
        var call = Assert.Single(step.ToolCalls);
        Assert.Equal(toolStart, call.StartedAt);
        Assert.Equal(40, call.DurationMs);
        Assert.Equal(toolStart, log.Events.Last(static e => e.Type == RunEventTypes.ToolResult).Call!.StartedAt);
    }

    [Description("Pays someone.")]
    private static string Pay([Description("Who.")] string to) => $"paid {to}";

    private async Task<ModelPlan> StartRunAsync()
    {
        engine.Create("clerk");
        engine.Submit("pay bob");
        engine.TakeEffects();
        return Assert.IsType<ModelPlan>(await engine.PlanAsync(null, CancellationToken.None));
    }

    private static ModelOutcome Reply(FunctionCallContent? call = null, string text = "")
    {
        var message = new ChatMessage(ChatRole.Assistant, text);
        if (call is not null)
        {
            message.Contents.Add(call);
        }

        return new ModelOutcome(new ChatResponse(message) { Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 } }, null, null, 1);
    }
}
