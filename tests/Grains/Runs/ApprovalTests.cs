using System.Collections.Concurrent;
using System.ComponentModel;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

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
        await using var cluster = await StartAsync(Services(transfers, model));
        var session = await CreateSessionAsync(cluster.Grains, "awaiting", Agent);

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
        await using var cluster = await StartAsync(Services(transfers, model));
        var session = await CreateSessionAsync(cluster.Grains, "approve", Agent);
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
        await using var cluster = await StartAsync(Services(transfers, model));
        var session = await CreateSessionAsync(cluster.Grains, "deny", Agent);
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
        await using var cluster = await StartAsync(Services(transfers, TransferModel()));
        var session = await CreateSessionAsync(cluster.Grains, "unknown-call", Agent);
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
        await using var cluster = await StartAsync(Services(transfers, model, approvalTimeout: TimeSpan.FromMilliseconds(300)));
        var session = await CreateSessionAsync(cluster.Grains, "timeout", Agent);

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

    [Fact]
    public async Task ApprovalTimeout_WholeClusterRestartedWhileTheRunWaits_NewSilosDenyItOnTime()
    {
        var transfers = new TransferTool();
        var model = TransferModel();
        await using var cluster = await StartAsync(Services(transfers, model, approvalTimeout: TimeSpan.FromSeconds(2)));
        var session = await CreateSessionAsync(cluster.Grains, "restarted", Agent);
        var submitted = await session.SubmitAsync("send 5 to bob");
        await WaitForStatusAsync(session, submitted.RunId, RunStatus.AwaitingApproval);

        // No silo that saw the run is left: only its reminder, kept in the database, can end the wait
        // (activating the session to read it does not: a waiting run has nothing to resume).
        await cluster.RestartInPlaceAsync();
        var view = await WaitForEndAsync(cluster.Grains.GetGrain<IAgentSessionGrain>(session.GetPrimaryKeyString()), submitted.RunId);

        Assert.Equal(RunStatus.Completed, view.Status);
        Assert.Equal(0, transfers.Calls);
        Assert.Equal(ToolCallStatus.Denied, view.Steps[0].ToolCalls[0].Status);
        Assert.Contains("approval timed out", ResultSeenByTheModel(model), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApprovalTimeout_ReminderStoreRefusesItWhenTheRunStartsWaiting_RunResumesAndStillTimesOut()
    {
        var transfers = new TransferTool();
        var first = new ModelGate();
        var second = new ModelGate();
        var model = new FakeChatClient(async (step, messages, cancellationToken) =>
        {
            // The first two calls wait for the test: the reply whose step is refused, and the one asked again.
            if ((step switch { 0 => first, 1 => second, _ => null }) is { } gate)
            {
                await gate.PassAsync(cancellationToken);
            }

            return TransferReply(messages);
        });
        await using var cluster = await StartAsync(Services(transfers, model, approvalTimeout: TimeSpan.FromMilliseconds(300), watchdogPeriod: SessionCluster.MinimumReminderPeriod));
        var session = await CreateSessionAsync(cluster.Grains, "store-down", Agent);
        var submitted = await session.SubmitAsync("send 5 to bob");
        await ModelGate.WithinAsync(first.Entered, "the run's first model call reached the model");

        // The reply asks for an approval, whose timeout cannot be registered: that change must not
        // commit (a run waiting without its timeout would wait for ever), so the run resumes from its journal.
        await RefuseApprovalRemindersAsync(refuse: true);
        first.Release();
        await ModelGate.WithinAsync(second.Entered, $"run {submitted.RunId} resumes from its journal and asks the model again");
        await RefuseApprovalRemindersAsync(refuse: false);
        second.Release();
        var done = await WaitForEndAsync(session, submitted.RunId);

        Assert.Equal(RunStatus.Completed, done.Status);
        Assert.Equal(0, transfers.Calls);
        Assert.Equal(3, model.Requests.Count);
        Assert.Contains("approval timed out", Assert.IsType<string>(Assert.IsType<FunctionResultContent>(Assert.Single(model.Requests[2][^1].Contents)).Result), StringComparison.Ordinal);
        var events = (await session.GetRunEventsAsync(submitted.RunId, 0, TimeSpan.Zero)).Events;
        Assert.Contains(events, static e => e.Type == RunEventTypes.Resumed);
        // The refused step left nothing behind: one request for approval, decided by the timeout.
        Assert.Single(events, static e => e.Type == RunEventTypes.ApprovalRequested);
        Assert.StartsWith("approval timed out", Assert.Single(events, static e => e.Type == RunEventTypes.ApprovalDecided).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Category", "Cluster")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DecideApprovalAsync_ThroughAnotherSilo_ToolRunsOnceAndRunCompletes(bool stopPausingSilo)
    {
        var transfers = new TransferTool();
        var model = TransferModel();
        await using var cluster = await StartAsync(Services(transfers, model), silos: 2);
        // The session waits on the second silo (membership lives on the first, so only the second may stop);
        // the decision goes through the first.
        var pausing = cluster.Cluster.Silos[1];
        var other = cluster.Cluster.Silos[0];
        var placed = await CreateSessionOnAsync(cluster, pausing, stopPausingSilo ? "remote-after-stop" : "remote", Agent);
        var submitted = await placed.SubmitAsync("send 5 to bob");
        await WaitForStatusAsync(placed, submitted.RunId, RunStatus.AwaitingApproval);
        Assert.Equal(pausing.SiloAddress, cluster.SiloOf(placed)?.SiloAddress);
        if (stopPausingSilo)
        {
            await cluster.Cluster.StopSiloAsync(pausing, TestContext.Current.CancellationToken);
        }

        var remote = other.ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IAgentSessionGrain>(placed.GetPrimaryKeyString());
        await remote.DecideApprovalAsync(submitted.RunId, CallId, approve: true);
        var done = await WaitForEndAsync(remote, submitted.RunId);

        Assert.Equal((RunStatus.Completed, "done: transferred 5"), (done.Status, done.Reply));
        Assert.Equal(1, transfers.Calls);
        Assert.Equal([$"{submitted.RunId}:1:0"], transfers.Keys);
        Assert.Equal(2, model.Requests.Count);
        Assert.Equal(stopPausingSilo ? other.SiloAddress : pausing.SiloAddress, cluster.SiloOf(remote)?.SiloAddress);
    }

    /// <summary>The tool result the model received in its second call.</summary>
    private static string ResultSeenByTheModel(FakeChatClient model)
    {
        Assert.Equal(2, model.Requests.Count);
        var result = Assert.IsType<FunctionResultContent>(Assert.Single(model.Requests[1][^1].Contents));
        Assert.Equal(CallId, result.CallId);
        return Assert.IsType<string>(result.Result);
    }

    /// <summary>Asks for a transfer, then answers with what the tool call returned.</summary>
    private static FakeChatClient TransferModel() => new((_, messages) => TransferReply(messages));

    private static ChatMessage TransferReply(IReadOnlyList<ChatMessage> messages) =>
        messages[^1].Contents.OfType<FunctionResultContent>().FirstOrDefault() is { } result
            ? new ChatMessage(ChatRole.Assistant, $"done: {result.Result}")
            : FakeChatClient.ToolCall(CallId, "transfer", """{"amount":5}""");

    /// <summary>Makes the Orleans reminder table refuse (or accept again) approval-timeout reminders, as a reminder store that is down would.</summary>
    private async Task RefuseApprovalRemindersAsync(bool refuse)
    {
        string[] statements = (Storage.Provider, refuse) switch
        {
            ("Sqlite", true) =>
            [
                $"CREATE TRIGGER refuse_approval_reminders BEFORE INSERT ON orleans_reminders WHEN NEW.reminder_name = '{RunEngine.ApprovalReminder}' BEGIN SELECT RAISE(ABORT, 'reminder store unavailable'); END",
            ],
            ("Sqlite", false) => ["DROP TRIGGER refuse_approval_reminders"],
            (_, true) =>
            [
                "CREATE FUNCTION refuse_approval_reminders() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'reminder store unavailable'; END $$",
                $"CREATE TRIGGER refuse_approval_reminders BEFORE INSERT OR UPDATE ON orleans_reminders FOR EACH ROW WHEN (NEW.reminder_name = '{RunEngine.ApprovalReminder}') EXECUTE FUNCTION refuse_approval_reminders()",
            ],
            (_, false) => ["DROP TRIGGER refuse_approval_reminders ON orleans_reminders"],
        };
        foreach (var statement in statements)
        {
            await Storage.ExecuteAsync(statement);
        }
    }

    private static Action<IServiceCollection> Services(TransferTool transfers, IChatClient model, TimeSpan? approvalTimeout = null, TimeSpan? watchdogPeriod = null) => services =>
    {
        services.AddSingleton(AgentTool.Create(transfers.Transfer, "transfer", new AgentToolSettings { HasSideEffects = true, NeedsConfirmation = true, Risk = ToolRisk.High }));
        var agent = new AgentDefinition(Agent, "Move money when asked.", ["transfer"]) { ApprovalTimeout = approvalTimeout ?? TimeSpan.FromHours(1) };
        services.AddSingleton(watchdogPeriod is { } period
            ? new AgentDefinition(Agent, agent.Instructions, agent.Tools) { ApprovalTimeout = agent.ApprovalTimeout, WatchdogPeriod = period }
            : agent);
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
