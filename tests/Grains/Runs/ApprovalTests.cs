using System.Collections.Concurrent;
using System.ComponentModel;
using AgentGrains.Grains;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime.Testing;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>Tool calls that need a person: approve, deny, time out, and decisions that reach another silo.</summary>
public abstract class ApprovalTests(StorageUnderTest storage) : RunTestBase(storage)
{
    private const string Agent = "banker";
    private const string CallId = "call_t1";

    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : ApprovalTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : ApprovalTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task SubmitAsync_ToolNeedsConfirmation_RunAwaitsApprovalListingTheCall()
    {
        var transfers = new TransferTool();
        var model = TransferModel();
        await using var silo = await StartAsync(Services(transfers, model));
        var session = await CreateSessionAsync(silo.Grains, "awaiting", Agent);

        var submitted = await session.SubmitAsync("send 5 to bob");
        var waiting = await WaitForStatusAsync(session, submitted.RunId, RunStatus.AwaitingApproval);

        var call = Assert.Single(Assert.Single(waiting.Steps).ToolCalls);
        Assert.Equal((CallId, "transfer", ToolCallStatus.AwaitingApproval, "high"), (call.CallId, call.Name, call.Status, call.Risk));
        Assert.Equal($"{submitted.RunId}:1:0", call.IdempotencyKey);
        Assert.Contains("'transfer'", waiting.Reason, StringComparison.Ordinal);
        Assert.Contains(CallId, waiting.Reason, StringComparison.Ordinal);
        var events = (await session.GetRunEventsAsync(submitted.RunId, 0, TimeSpan.Zero)).Events;
        Assert.Equal(RunEventTypes.ApprovalRequested, events[^1].Type);
        Assert.Equal(CallId, events[^1].Call!.CallId);
        // Nothing runs while it waits: no tool call, no further model call.
        Assert.Equal(0, transfers.Calls);
        Assert.Single(model.Requests);
        Assert.Equal(["user", "assistant"], (await session.GetHistoryAsync()).Select(e => e.Role));
    }

    [Fact]
    public async Task DecideApprovalAsync_Approve_ToolRunsOnceAndRunCompletes()
    {
        var transfers = new TransferTool();
        var model = TransferModel();
        await using var silo = await StartAsync(Services(transfers, model));
        var session = await CreateSessionAsync(silo.Grains, "approve", Agent);
        var submitted = await session.SubmitAsync("send 5 to bob");
        await WaitForStatusAsync(session, submitted.RunId, RunStatus.AwaitingApproval);

        var decided = await session.DecideApprovalAsync(submitted.RunId, CallId, approve: true);
        var done = await WaitForEndAsync(session, submitted.RunId);

        Assert.NotEqual(RunStatus.AwaitingApproval, decided.Status);
        Assert.Equal((RunStatus.Completed, "done: transferred 5"), (done.Status, done.Reply));
        Assert.Equal(1, transfers.Calls);
        Assert.Equal([$"{submitted.RunId}:1:0"], transfers.Keys);
        Assert.Equal(ToolCallStatus.Succeeded, done.Steps[0].ToolCalls[0].Status);
        var decision = Assert.Single((await session.GetRunEventsAsync(submitted.RunId, 0, TimeSpan.Zero)).Events, e => e.Type == RunEventTypes.ApprovalDecided);
        Assert.Equal(ToolCallStatus.Approved, decision.Status);
        await Assert.ThrowsAsync<RunConflictException>(() => session.DecideApprovalAsync(submitted.RunId, CallId, approve: true));
        Assert.Equal(1, transfers.Calls);
    }

    [Fact]
    public async Task DecideApprovalAsync_Deny_ToolNeverRunsAndTheModelReadsTheDenial()
    {
        var transfers = new TransferTool();
        var model = TransferModel();
        await using var silo = await StartAsync(Services(transfers, model));
        var session = await CreateSessionAsync(silo.Grains, "deny", Agent);
        var submitted = await session.SubmitAsync("send 5 to bob");
        await WaitForStatusAsync(session, submitted.RunId, RunStatus.AwaitingApproval);

        await session.DecideApprovalAsync(submitted.RunId, CallId, approve: false);
        var done = await WaitForEndAsync(session, submitted.RunId);

        Assert.Equal(RunStatus.Completed, done.Status);
        Assert.Equal(0, transfers.Calls);
        Assert.Equal(ToolCallStatus.Denied, done.Steps[0].ToolCalls[0].Status);
        var seen = ResultSeenByTheModel(model);
        Assert.StartsWith("error:", seen, StringComparison.Ordinal);
        Assert.Contains("denied", seen, StringComparison.Ordinal);
        Assert.Equal($"done: {seen}", done.Reply);
    }

    [Fact]
    public async Task DecideApprovalAsync_UnknownCall_ThrowsRunNotFoundAndTheRunKeepsWaiting()
    {
        var transfers = new TransferTool();
        await using var silo = await StartAsync(Services(transfers, TransferModel()));
        var session = await CreateSessionAsync(silo.Grains, "unknown-call", Agent);
        var submitted = await session.SubmitAsync("send 5 to bob");
        await WaitForStatusAsync(session, submitted.RunId, RunStatus.AwaitingApproval);

        await Assert.ThrowsAsync<RunNotFoundException>(() => session.DecideApprovalAsync(submitted.RunId, "call_nobody", approve: true));

        Assert.Equal(RunStatus.AwaitingApproval, (await session.GetRunAsync(submitted.RunId))!.Status);
        await session.DecideApprovalAsync(submitted.RunId, CallId, approve: true);
        Assert.Equal(RunStatus.Completed, (await WaitForEndAsync(session, submitted.RunId)).Status);
        Assert.Equal(1, transfers.Calls);
    }

    [Fact]
    public async Task ApprovalTimeout_NobodyDecides_DeniedAsTimedOutAndRunCompletes()
    {
        var transfers = new TransferTool();
        var model = TransferModel();
        await using var silo = await StartAsync(
            Services(transfers, model, approvalTimeout: TimeSpan.FromMilliseconds(300)),
            new Dictionary<string, string?> { ["Silo:ReminderPollInterval"] = "00:00:00.050" });
        var session = await CreateSessionAsync(silo.Grains, "timeout", Agent);

        var submitted = await session.SubmitAsync("send 5 to bob");
        var done = await WaitForEndAsync(session, submitted.RunId);

        Assert.Equal(RunStatus.Completed, done.Status);
        Assert.Equal(0, transfers.Calls);
        Assert.Equal(ToolCallStatus.Denied, done.Steps[0].ToolCalls[0].Status);
        var seen = ResultSeenByTheModel(model);
        Assert.StartsWith("error:", seen, StringComparison.Ordinal);
        Assert.Contains("approval timed out", seen, StringComparison.Ordinal);
        var decision = Assert.Single((await session.GetRunEventsAsync(submitted.RunId, 0, TimeSpan.Zero)).Events, e => e.Type == RunEventTypes.ApprovalDecided);
        Assert.Equal(ToolCallStatus.Denied, decision.Status);
        Assert.StartsWith("approval timed out", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Category", "Cluster")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DecideApprovalAsync_ThroughAnotherSilo_ToolRunsOnceAndRunCompletes(bool stopPausingSilo)
    {
        var transfers = new TransferTool();
        var model = TransferModel();
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilos = 2,
            StorageSettings = Storage.Settings,
            ConfigureSilo = static s => s.AddAgentSessions(),
            ConfigureServices = Services(transfers, model),
            Settings =
            {
                ["Silo:HeartbeatInterval"] = "00:00:00.200",
                ["Silo:DeathTimeout"] = "00:00:02",
                ["Silo:ReminderPollInterval"] = "00:00:00.100",
            },
        });
        var id = stopPausingSilo ? "remote-after-stop" : "remote";
        var session = await CreateSessionAsync(cluster.Silos[0].GrainFactory, id, Agent);
        var submitted = await session.SubmitAsync("send 5 to bob");
        await WaitForStatusAsync(session, submitted.RunId, RunStatus.AwaitingApproval);
        // Placement decides where the session lives; the decision goes through the other silo.
        var owner = await OwnerAsync(id);
        var pausing = Assert.Single(cluster.Silos, s => s.Silo.SiloId == owner);
        var other = Assert.Single(cluster.Silos, s => s != pausing);
        if (stopPausingSilo)
        {
            await cluster.StopSiloAsync(pausing);
        }

        var remote = other.GrainFactory.GetGrain<IAgentSessionGrain>(id);
        await remote.DecideApprovalAsync(submitted.RunId, CallId, approve: true);
        var done = await WaitForEndAsync(remote, submitted.RunId);

        Assert.Equal((RunStatus.Completed, "done: transferred 5"), (done.Status, done.Reply));
        Assert.Equal(1, transfers.Calls);
        Assert.Equal([$"{submitted.RunId}:1:0"], transfers.Keys);
        Assert.Equal(2, model.Requests.Count);
        if (stopPausingSilo)
        {
            Assert.Equal(other.Silo.SiloId, await OwnerAsync(id));
        }
    }

    private async Task<string?> OwnerAsync(string sessionId) =>
        (string?)await Storage.ScalarAsync($"SELECT silo_id FROM activations WHERE grain_id = 'agent-session/{sessionId}'");

    /// <summary>The tool result the model received in its second call.</summary>
    private static string ResultSeenByTheModel(FakeChatClient model)
    {
        Assert.Equal(2, model.Requests.Count);
        var result = Assert.IsType<FunctionResultContent>(Assert.Single(model.Requests[1][^1].Contents));
        Assert.Equal(CallId, result.CallId);
        return Assert.IsType<string>(result.Result);
    }

    /// <summary>Asks for a transfer, then answers with what the tool call returned.</summary>
    private static FakeChatClient TransferModel() => new((_, messages) =>
        messages[^1].Contents.OfType<FunctionResultContent>().FirstOrDefault() is { } result
            ? new ChatMessage(ChatRole.Assistant, $"done: {result.Result}")
            : FakeChatClient.ToolCall(CallId, "transfer", """{"amount":5}"""));

    private static Action<IServiceCollection> Services(TransferTool transfers, IChatClient model, TimeSpan? approvalTimeout = null) => services =>
    {
        services.AddSingleton(AgentTool.Create(transfers.Transfer, "transfer", new AgentToolSettings { HasSideEffects = true, NeedsConfirmation = true, Risk = ToolRisk.High }));
        services.AddSingleton(new AgentDefinition(Agent, "Move money when asked.", ["transfer"]) { ApprovalTimeout = approvalTimeout ?? TimeSpan.FromHours(1) });
        services.AddSingleton(model);
    };

    /// <summary>A side-effecting tool that counts its calls and records their idempotency keys.</summary>
    private sealed class TransferTool
    {
        private readonly ConcurrentQueue<string> keys = new();
        private int calls;

        public int Calls => Volatile.Read(ref calls);

        public IReadOnlyList<string> Keys => [.. keys];

        [Description("Transfers money to the user's payee.")]
        public string Transfer(ToolContext context, [Description("The amount in dollars.")] int amount)
        {
            Interlocked.Increment(ref calls);
            keys.Enqueue(context.IdempotencyKey);
            return $"transferred {amount}";
        }
    }
}
