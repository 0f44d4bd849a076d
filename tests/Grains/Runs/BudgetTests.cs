using System.ComponentModel;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>Each of an agent's budgets ends a run with <c>budget_exceeded</c> and a reason that names it.</summary>
public abstract class BudgetTests(StorageUnderTest storage) : RunTestBase(storage)
{
    private const string Calculation = """{"expression":"1+1"}""";

    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : BudgetTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : BudgetTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task SendAsync_ModelNeverAnswersWithinMaxSteps_BudgetExceededAfterExactlyMaxStepsModelCalls()
    {
        var model = new FakeChatClient((step, messages) => FakeChatClient.LastUserText(messages) == "next"
            ? new ChatMessage(ChatRole.Assistant, "ok")
            : FakeChatClient.ToolCall($"call_{step}", "calculator", Calculation));
        await using var cluster = await StartAsync(Agent(model, new AgentDefinition("budget", "Loop.", ["calculator"]) { MaxSteps = 3 }));
        var session = await CreateSessionAsync(cluster.Grains, "steps", "budget");

        var result = await session.SendAsync("loop");

        Assert.Equal(RunStatus.BudgetExceeded, result.Status);
        Assert.Equal("step budget exhausted: 3 model calls without a final answer", result.Reason);
        Assert.Equal(3, model.Requests.Count);
        var view = await session.GetRunAsync(result.RunId);
        Assert.Equal([1, 2, 3], view!.Steps.Select(s => s.Step));
        Assert.All(view.Steps, s => Assert.Equal(ToolCallStatus.Succeeded, Assert.Single(s.ToolCalls).Status));
        await AssertNextMessageRunsAsync(session);
    }

    [Fact]
    public async Task SendAsync_RunUsesMoreThanMaxTokens_BudgetExceededNamingTheTokens()
    {
        // 100 + 20 tokens per step: 120, 240, then 360 > 250.
        var model = FakeChatClient.WithResponses((step, messages) => FakeChatClient.LastUserText(messages) == "next"
            ? FakeChatClient.WithUsage(new ChatMessage(ChatRole.Assistant, "ok"), 1, 1)
            : FakeChatClient.WithUsage(FakeChatClient.ToolCall($"call_{step}", "calculator", Calculation), 100, 20));
        await using var cluster = await StartAsync(Agent(model, new AgentDefinition("budget", "Loop.", ["calculator"]) { MaxTokens = 250 }));
        var session = await CreateSessionAsync(cluster.Grains, "tokens", "budget");

        var result = await session.SendAsync("loop");

        Assert.Equal(RunStatus.BudgetExceeded, result.Status);
        Assert.Equal("token budget exhausted: 360 tokens used of 250", result.Reason);
        Assert.Equal(3, model.Requests.Count);
        var view = await session.GetRunAsync(result.RunId);
        Assert.Equal((300L, 60L, 3), (view!.InputTokens, view.OutputTokens, view.Steps.Count));
        await AssertNextMessageRunsAsync(session);
    }

    [Fact]
    public async Task SendAsync_RunCostsMoreThanMaxCost_BudgetExceededNamingTheCost()
    {
        // $2 per million input tokens and $10 per million output: 100,000 + 10,000 tokens cost $0.30 a step.
        var model = FakeChatClient.WithResponses((step, messages) => FakeChatClient.LastUserText(messages) == "next"
            ? FakeChatClient.WithUsage(new ChatMessage(ChatRole.Assistant, "ok"), 1, 1)
            : FakeChatClient.WithUsage(FakeChatClient.ToolCall($"call_{step}", "calculator", Calculation), 100_000, 10_000));
        await using var cluster = await StartAsync(
            Agent(model, new AgentDefinition("budget", "Loop.", ["calculator"]) { MaxCost = 0.5m, Model = "priced-model" }),
            new Dictionary<string, string?>
            {
                ["Model:Prices:priced-model:InputPerMillionTokens"] = "2",
                ["Model:Prices:priced-model:OutputPerMillionTokens"] = "10",
            });
        var session = await CreateSessionAsync(cluster.Grains, "cost", "budget");

        var result = await session.SendAsync("loop");

        Assert.Equal(RunStatus.BudgetExceeded, result.Status);
        Assert.Equal("cost budget exhausted: $0.6 spent of $0.5", result.Reason);
        Assert.Equal(2, model.Requests.Count);
        Assert.All(model.Options, o => Assert.Equal("priced-model", o?.ModelId));
        Assert.Equal(0.6m, (await session.GetRunAsync(result.RunId))!.Cost);
        await AssertNextMessageRunsAsync(session);
    }

    [Fact]
    public async Task SendAsync_ModelCallOutlastsMaxWallTime_BudgetExceededNamingTheWallTime()
    {
        var model = new FakeChatClient(async (step, messages, cancellationToken) =>
        {
            if (FakeChatClient.LastUserText(messages) != "next")
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return new ChatMessage(ChatRole.Assistant, "ok");
        });
        await using var cluster = await StartAsync(Agent(model, new AgentDefinition("budget", "Wait.", []) { MaxWallTime = TimeSpan.FromMilliseconds(300) }));
        var session = await CreateSessionAsync(cluster.Grains, "wall-hang", "budget");

        var result = await session.SendAsync("wait");

        Assert.Equal(RunStatus.BudgetExceeded, result.Status);
        Assert.StartsWith("wall-time budget exhausted", result.Reason, StringComparison.Ordinal);
        Assert.Contains("0.3 s", result.Reason, StringComparison.Ordinal);
        await AssertNextMessageRunsAsync(session);
    }

    [Fact]
    public async Task SendAsync_SlowToolOutlastsMaxWallTime_BudgetExceededBeforeTheNextModelCall()
    {
        // The tool outlasts the budget on its own, so the check before the next model call stops the run.
        var model = new FakeChatClient((step, messages) => FakeChatClient.LastUserText(messages) == "next"
            ? new ChatMessage(ChatRole.Assistant, "ok")
            : FakeChatClient.ToolCall($"call_{step}", "slow", "{}"));
        await using var cluster = await StartAsync(services =>
        {
            services.AddSingleton(AgentTool.Create(SlowToolAsync, "slow"));
            Agent(model, new AgentDefinition("budget", "Loop.", ["slow"]) { MaxWallTime = TimeSpan.FromMilliseconds(300) })(services);
        });
        var session = await CreateSessionAsync(cluster.Grains, "wall-slow", "budget");

        var result = await session.SendAsync("loop");

        Assert.Equal(RunStatus.BudgetExceeded, result.Status);
        Assert.StartsWith("wall-time budget exhausted", result.Reason, StringComparison.Ordinal);
        Assert.EndsWith("of 0.3 s", result.Reason, StringComparison.Ordinal);
        Assert.Single(model.Requests);
        var step = Assert.Single((await session.GetRunAsync(result.RunId))!.Steps);
        Assert.Equal(ToolCallStatus.Succeeded, Assert.Single(step.ToolCalls).Status);
        await AssertNextMessageRunsAsync(session);
    }

    [Description("Takes a while and returns nothing useful.")]
    private static async Task<string> SlowToolAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        return "slept";
    }

    /// <summary>A budget ends one run, not the session.</summary>
    private static async Task AssertNextMessageRunsAsync(IAgentSessionGrain session)
    {
        var next = await session.SendAsync("next");
        Assert.Equal(RunStatus.Completed, next.Status);
        Assert.Equal("next", (await session.GetHistoryAsync())[^2].Content);
    }

    private static Action<IServiceCollection> Agent(IChatClient model, AgentDefinition agent) => services =>
    {
        services.AddSingleton(agent);
        services.AddSingleton(model);
    };
}
