using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace AgentGrains.Tests.Grains;

/// <summary>Runs on every storage provider: one nested subclass each.</summary>
public abstract class AgentSessionGrainTests(StorageUnderTest storage) : IAsyncLifetime
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : AgentSessionGrainTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : AgentSessionGrainTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task SendAsync_ArithmeticQuestion_AnswersThroughTheCalculatorToolPath()
    {
        await using var cluster = await StartAsync();
        var session = await CreateSessionAsync(cluster, "math");

        var result = await session.SendAsync("what is 6*7?");

        Assert.Contains("42", result.Reply, StringComparison.Ordinal);
        Assert.Equal(4, result.Messages);
        var history = await session.GetHistoryAsync();
        Assert.Equal(["user", "assistant", "tool", "assistant"], history.Select(e => e.Role));
        Assert.Equal("what is 6*7?", history[0].Content);
        var call = Assert.Single(history[1].ToolCalls!);
        Assert.Equal("calculator", call.Name);
        Assert.Equal("6*7", System.Text.Json.JsonDocument.Parse(call.Arguments).RootElement.GetProperty("expression").GetString());
        Assert.Equal("calculator", history[2].ToolName);
        Assert.Equal(call.Id, history[2].ToolCallId);
        Assert.Equal("42", history[2].Content);
        Assert.Equal(result.Reply, history[3].Content);
        Assert.Null(history[3].ToolCalls);
    }

    [Fact]
    public async Task SendAsync_FactStatedEarlier_RecalledInLaterTurnAndAfterRestart()
    {
        await using var cluster = await StartAsync();
        var session = await CreateSessionAsync(cluster, "memory");
        Assert.Equal("Got it: your name is Ada.", (await session.SendAsync("my name is Ada")).Reply);
        await session.SendAsync("what is 2+2?");
        Assert.Equal("Your name is Ada.", (await session.SendAsync("what is my name?")).Reply);

        await cluster.RestartInPlaceAsync();
        var restarted = cluster.Grains.GetGrain<IAgentSessionGrain>("memory");
        var result = await restarted.SendAsync("What's my name?");

        Assert.Equal("Your name is Ada.", result.Reply);
        Assert.Equal(2 + 4 + 2 + 2, result.Messages);
        Assert.Equal(result.Messages, (await restarted.GetHistoryAsync()).Count);
    }

    [Fact]
    public async Task SendAsync_FactOlderThanTheWindow_ModelNoLongerSeesIt()
    {
        var model = new RecordingChatClient(new ScriptedChatClient());
        await using var cluster = await StartAsync(services =>
        {
            services.AddSingleton(new AgentDefinition("short", "Be brief.", ["calculator"]) { HistoryWindow = 3 });
            services.AddSingleton<IChatClient>(model);
        });
        var session = await CreateSessionAsync(cluster, "window", agent: "short");
        await session.SendAsync("my name is Ada");
        Assert.Equal("Your name is Ada.", (await session.SendAsync("what is my name?")).Reply);
        for (var i = 1; i <= 5; i++)
        {
            Assert.Contains((i + 1).ToString(CultureInfo.InvariantCulture), (await session.SendAsync($"what is {i}+1?")).Reply, StringComparison.Ordinal);
        }

        var reply = (await session.SendAsync("what is my name?")).Reply;

        Assert.Equal("I don't know what your name is.", reply);
        Assert.All(model.Requests, request =>
        {
            Assert.Equal(ChatRole.System, request[0].Role);
            // At most the window (3) plus the current turn before its last model call (user, call, result).
            Assert.InRange(request.Count, 2, 1 + 3 + 3);
            // A tool result never opens the window without the call it answers.
            Assert.NotEqual(ChatRole.Tool, request[1].Role);
        });
        Assert.Equal(2 + 2 + (5 * 4) + 2, (await session.GetHistoryAsync()).Count);
    }

    [Theory]
    [InlineData("what is 1/0?", "division by zero")]
    [InlineData("compute 2+*3", "unexpected '*' at position 3")]
    public async Task SendAsync_CalculatorFails_ToolErrorRecordedAndTurnCompletes(string text, string problem)
    {
        await using var cluster = await StartAsync();
        var session = await CreateSessionAsync(cluster, "bad-math");

        var result = await session.SendAsync(text);

        Assert.Contains(problem, result.Reply, StringComparison.Ordinal);
        var history = await session.GetHistoryAsync();
        Assert.Equal(["user", "assistant", "tool", "assistant"], history.Select(e => e.Role));
        Assert.StartsWith("error: ", history[2].Content, StringComparison.Ordinal);
        Assert.Contains(problem, history[2].Content, StringComparison.Ordinal);

        Assert.Contains("5", (await session.SendAsync("what is 2+3?")).Reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TimeQuestion_AnswersFromTheClockTool()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 6, TimeSpan.Zero));
        await using var cluster = await StartAsync(services =>
        {
            // Only the tool's clock is stopped; the silo keeps the system clock.
            services.RemoveAll<AgentTool>();
            services.AddSingleton(CalculatorTool.Create());
            services.AddSingleton(ClockTool.Create(clock));
            services.AddSingleton(AgentGrains.Grains.Showcase.CorpusSearchTool.Create());
            services.AddSingleton(static sp => SendMessageTool.Create(sp.GetRequiredService<IGrainFactory>, TimeProvider.System));
            AgentGrains.Grains.Memory.MemoryTools.AddTo(services);
        });
        var session = await CreateSessionAsync(cluster, "time");

        var result = await session.SendAsync("what time is it?");

        Assert.Equal("The current time is 2031-02-03 04:05:06 UTC.", result.Reply);
        var tool = (await session.GetHistoryAsync())[2];
        Assert.Equal("clock", tool.ToolName);
        Assert.Equal("2031-02-03T04:05:06Z", tool.Content);
    }

    [Fact]
    public async Task SendAsync_ModelCallsUnknownToolOrSendsBadArguments_ToolErrorsGoBackToTheModelAndRunContinues()
    {
        var model = new FakeChatClient((step, _) => step switch
        {
            0 => FakeChatClient.ToolCall("a", "weather", """{"city":"Paris"}"""),
            1 => FakeChatClient.ToolCall("b", "calculator", """{"expr":"1+1"}"""),
            2 => FakeChatClient.ToolCall("c", "calculator", """{"expression": "1+1"""),
            3 => FakeChatClient.ToolCall("d", "calculator", """{"expression":{"left":1}}"""),
            4 => FakeChatClient.ToolCall("e", "calculator", """{"expression":"1+1"}"""),
            _ => new ChatMessage(ChatRole.Assistant, "done"),
        });
        await using var cluster = await StartAsync(services => services.AddSingleton<IChatClient>(model));
        var session = await CreateSessionAsync(cluster, "fake");

        var result = await session.SendAsync("go");

        Assert.Equal("done", result.Reply);
        Assert.Equal(6, model.Requests.Count);
        var tools = (await session.GetHistoryAsync()).Where(e => e.Role == "tool").ToList();
        Assert.Equal(["a", "b", "c", "d", "e"], tools.Select(t => t.ToolCallId));
        Assert.StartsWith("error: unknown tool 'weather'", tools[0].Content, StringComparison.Ordinal);
        Assert.Equal("error: invalid arguments for 'calculator': 'expression' is required; 'expr' is not a parameter (parameters: expression)", tools[1].Content);
        Assert.StartsWith("error: the arguments for 'calculator' are not valid JSON", tools[2].Content, StringComparison.Ordinal);
        Assert.StartsWith("error: invalid arguments for 'calculator': 'expression' must be a string", tools[3].Content, StringComparison.Ordinal);
        Assert.Equal("2", tools[4].Content);
        // Each error reached the model in its next request, answering the call it made.
        var errorSeen = Assert.IsType<FunctionResultContent>(Assert.Single(model.Requests[1][^1].Contents));
        Assert.Equal("a", errorSeen.CallId);
        Assert.Equal(tools[0].Content, errorSeen.Result);
    }

    [Fact]
    public async Task SendAsync_ModelKeepsCallingTools_RunEndsBudgetExceededAtTheStepBudget()
    {
        var model = new FakeChatClient((step, _) => FakeChatClient.ToolCall($"call_{step}", "calculator", """{"expression":"1+1"}"""));
        await using var cluster = await StartAsync(services => services.AddSingleton<IChatClient>(model));
        var session = await CreateSessionAsync(cluster, "loop");

        var result = await session.SendAsync("never stop");

        Assert.Equal(RunStatus.BudgetExceeded, result.Status);
        Assert.StartsWith("step budget exhausted: 8 model calls", result.Reason, StringComparison.Ordinal);
        Assert.Null(result.Reply);
        Assert.Equal(8, model.Requests.Count);
        var history = await session.GetHistoryAsync();
        // The user message and each step's call and result; no final answer was made up.
        Assert.Equal(1 + (8 * 2), history.Count);
        Assert.Equal(result.Messages, history.Count);
        Assert.Equal(("tool", "2"), (history[^1].Role, history[^1].Content));
        Assert.Equal(8, (await session.GetRunAsync(result.RunId))!.Steps.Count);
    }

    [Fact]
    public async Task SendAsync_ModelThrows_RunFailsWithTheErrorAndTheNextMessageWorks()
    {
        var model = new FakeChatClient((step, _) => step == 1
            ? throw new InvalidOperationException("model unavailable")
            : new ChatMessage(ChatRole.Assistant, $"reply {step}"));
        await using var cluster = await StartAsync(services => services.AddSingleton<IChatClient>(model));
        var session = await CreateSessionAsync(cluster, "failing");
        await session.SendAsync("first");

        var second = await session.SendAsync("second");

        Assert.Equal(RunStatus.Failed, second.Status);
        Assert.Contains("model unavailable", second.Reason, StringComparison.Ordinal);
        Assert.Null(second.Reply);
        // The message was acknowledged when it was submitted: it stays, without an answer.
        Assert.Equal(["first", "reply 0", "second"], (await session.GetHistoryAsync()).Select(e => e.Content));
        var third = await session.SendAsync("third");
        Assert.Equal((RunStatus.Completed, "reply 2"), (third.Status, third.Reply));
        Assert.Equal(["first", "reply 0", "second", "third", "reply 2"], (await session.GetHistoryAsync()).Select(e => e.Content));
        Assert.Equal("third", FakeChatClient.LastUserText(model.Requests[2]));
    }

    [Fact]
    public async Task SendAsync_ModelDoesNotAnswerInTime_RunFailsNamingTheTimeout()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new FakeChatClient(async (step, _, cancellationToken) =>
        {
            if (step == 0)
            {
                using var registration = cancellationToken.Register(cancelled.SetResult);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return new ChatMessage(ChatRole.Assistant, $"reply {step}");
        });
        await using var cluster = await StartAsync(services =>
        {
            services.AddSingleton(new AgentDefinition("impatient", "Be quick.", []) { ModelTimeout = TimeSpan.FromMilliseconds(200) });
            services.AddSingleton<IChatClient>(model);
        });
        var session = await CreateSessionAsync(cluster, "slow", agent: "impatient");

        var result = await session.SendAsync("hello");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("did not answer within 0.2 s", result.Reason, StringComparison.Ordinal);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(["hello"], (await session.GetHistoryAsync()).Select(e => e.Content));
        Assert.Equal("reply 1", (await session.SendAsync("again")).Reply);
    }

    [Fact]
    public async Task GetHistoryAsync_WhileARunIsInProgress_ShowsOnlyCommittedMessages()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new FakeChatClient(async (step, _, cancellationToken) =>
        {
            switch (step)
            {
                case 1:
                    return FakeChatClient.ToolCall("c1", "calculator", """{"expression":"2+3"}""");
                case 2:
                    entered.SetResult();
                    await release.Task.WaitAsync(cancellationToken);
                    break;
            }

            return new ChatMessage(ChatRole.Assistant, $"reply {step}");
        });
        await using var cluster = await StartAsync(services => services.AddSingleton<IChatClient>(model));
        var session = await CreateSessionAsync(cluster, "busy");
        await session.SendAsync("first");
        var second = await session.SubmitAsync("second");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var during = await session.GetHistoryAsync();
        var running = await session.GetRunAsync(second.RunId);
        release.SetResult();
        var done = await session.WaitForRunAsync(second.RunId, TimeSpan.FromSeconds(20));

        // The submitted message and the journaled first step (call and result) are committed; the step
        // whose model call is in flight is not there at all.
        Assert.Equal(["user", "assistant", "user", "assistant", "tool"], during.Select(e => e.Role));
        Assert.Equal(["first", "reply 0", "second"], during.Take(3).Select(e => e.Content));
        Assert.Equal("c1", Assert.Single(during[3].ToolCalls!).Id);
        Assert.Equal(("c1", "5"), (during[4].ToolCallId, during[4].Content));
        Assert.Equal((RunStatus.Running, 1, 5L), (running!.Status, running.Steps.Count, running.Messages));
        Assert.Equal(RunStatus.Completed, done!.Status);
        Assert.Equal(["first", "reply 0", "second", "", "5", "reply 2"], (await session.GetHistoryAsync()).Select(e => e.Content));
    }

    [Fact]
    public async Task CreateAsync_SameAgentTwice_SecondReturnsNotCreatedAndKeepsTheHistory()
    {
        await using var cluster = await StartAsync();
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("twice");

        var first = await session.CreateAsync("assistant");
        await session.SendAsync("hello");
        var second = await session.CreateAsync("assistant");

        Assert.Equal(new SessionInfo("twice", "assistant", Created: true), first);
        Assert.Equal(new SessionInfo("twice", "assistant", Created: false), second);
        var view = await session.GetAsync();
        Assert.Equal(("twice", "assistant", 2), (view!.SessionId, view.Agent, view.History.Count));
    }

    [Fact]
    public async Task GetInfoAsync_BeforeAndAfterCreate_NullThenTheAgent()
    {
        await using var cluster = await StartAsync();
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("info");

        Assert.Null(await session.GetInfoAsync());
        await session.CreateAsync("assistant");
        await session.SendAsync("hello");

        Assert.Equal(new SessionInfo("info", "assistant", Created: false), await session.GetInfoAsync());
    }

    [Fact]
    public async Task CreateAsync_ExistsForAnotherAgent_ThrowsSessionConflict()
    {
        await using var cluster = await StartAsync(services => services.AddSingleton(new AgentDefinition("echo", "Repeat the user.", [])));
        var session = await CreateSessionAsync(cluster, "taken");

        var error = await Assert.ThrowsAsync<SessionConflictException>(() => session.CreateAsync("echo"));

        Assert.Contains("'assistant'", error.Message, StringComparison.Ordinal);
        Assert.Equal("assistant", (await session.GetAsync())!.Agent);
    }

    [Fact]
    public async Task CreateAsync_UnknownAgent_ThrowsListingTheKnownAgents()
    {
        await using var cluster = await StartAsync();
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("nobody");

        var error = await Assert.ThrowsAsync<UnknownAgentException>(() => session.CreateAsync("wizard"));

        Assert.Contains("'wizard'", error.Message, StringComparison.Ordinal);
        Assert.Contains("assistant", error.Message, StringComparison.Ordinal);
        Assert.Null(await session.GetAsync());
    }

    [Fact]
    public async Task SendAsync_SessionNeverCreated_ThrowsSessionNotFound()
    {
        await using var cluster = await StartAsync();
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("missing");

        var error = await Assert.ThrowsAsync<SessionNotFoundException>(() => session.SendAsync("hello"));

        Assert.Contains("'missing'", error.Message, StringComparison.Ordinal);
        Assert.Null(await session.GetAsync());
        Assert.Empty(await session.GetHistoryAsync());
    }

    [Fact]
    public async Task StartAsync_InvalidAgentDefinition_SiloRefusesToStartNamingTheProblem()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(static services => services.AddSingleton(new AgentDefinition("broken", "x", ["teleport"]))));

        Assert.Contains("agent 'broken' uses tool 'teleport', which is not registered", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    public async Task SendAsync_EmptyText_ThrowsArgumentExceptionAndRecordsNothing(string text)
    {
        await using var cluster = await StartAsync();
        var session = await CreateSessionAsync(cluster, "empty");

        await Assert.ThrowsAsync<ArgumentException>(() => session.SendAsync(text));

        Assert.Empty(await session.GetHistoryAsync());
    }

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static async Task<IAgentSessionGrain> CreateSessionAsync(SessionCluster cluster, string id, string agent = BuiltInAgents.AssistantName)
    {
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(id);
        Assert.True((await session.CreateAsync(agent)).Created);
        return session;
    }

    private Task<SessionCluster> StartAsync(Action<IServiceCollection>? services = null) =>
        SessionCluster.StartAsync(storage, services: services);
}
