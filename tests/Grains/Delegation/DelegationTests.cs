using System.Collections.Concurrent;
using System.Globalization;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Grains.Delegation;

/// <summary>
/// Managers calling specialists across the Orleans silos of a <see cref="SessionCluster"/>: the real
/// OpenAI client against <see cref="FakeOpenAIServer"/> played by <see cref="DelegationScript"/>, silos
/// killed mid-run, and the specialist runs counted in the session journal (<c>grain_state</c> heads,
/// <c>grain_log</c> rows, <c>message_keys</c>) and Orleans' reminder rows.
/// </summary>
public abstract class DelegationTests(StorageUnderTest storage) : IAsyncLifetime
{
    private static readonly TimeSpan WatchdogPeriod = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Recovery = ClusterRuns.Recovery;

    private static readonly string[] Parts = ["part 1", "part 2", "part 3"];

    private readonly DelegationScript script = new();
    private FakeOpenAIServer server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        server = await FakeOpenAIServer.StartAsync();
        server.DefaultResponder = script.Respond;
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ThreeParallelSpecialists_SiloOfOneKilledMidRun_ManagerCompletesWithOneSpecialistRunPerCall()
    {
        await using var cluster = await StartClusterAsync();
        const string SessionId = "fanout";
        var runId = RunIds.Format(SessionId, 1);
        var silos = cluster.Cluster.Silos;
        // The manager on the first silo (never killed), its three specialists' sessions on three silos:
        // reading a session that does not exist yet activates it where the placement hint says.
        var manager = await CreateOnAsync(cluster, silos[0], SessionId, DelegationAgents.Manager);
        for (var i = 0; i < 3; i++)
        {
            await PlaceAsync(cluster, silos[i], ChildSession(runId, 1, i));
        }

        script.HangOnce("part 2");
        await manager.SubmitAsync("worker worker worker");
        await Eventually.TrueAsync(() => Task.FromResult(WorkerRequests("part 2") == 1), Recovery, "the second specialist's model call is in flight");
        var victim = silos[1];

        await cluster.Cluster.KillSiloAsync(victim, Ct);
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Equal("done: did part 1 | did part 2 | did part 3", run.Reply);
        Assert.Equal(3, await CountAsync($"SELECT count(*) FROM grain_state WHERE name = 'session' AND grain_id LIKE 'agent-session/{SessionId}~1.%'"));
        // Each specialist session accepted one start message, under the key derived from the manager's call.
        for (var i = 0; i < 3; i++)
        {
            var child = ChildSession(runId, 1, i);
            Assert.Equal(1, await CountAsync($"SELECT count(*) FROM message_keys WHERE grain_id = 'agent-session/{child}'"));
            Assert.Equal(1, await CountAsync($"SELECT count(*) FROM message_keys WHERE grain_id = 'agent-session/{child}' AND key = 'delegate:{runId}:1:{i}' AND request LIKE 'StartDelegatedAsync:%'"));
            Assert.Equal(1, await CountAsync($"SELECT count(*) FROM grain_log WHERE stream = 'runs' AND grain_id = 'agent-session/{child}'"));
        }

        // The killed specialist's model call was asked again on its new silo; the others once each.
        Assert.Equal([1, 2, 1], Parts.Select(WorkerRequests));
        Assert.Equal(2, server.Requests.Count(r => DelegationScript.AgentOf(r) == DelegationAgents.Manager));
        var tree = Assert.IsType<IReadOnlyList<RunChildView>>(run.Children, exactMatch: false);
        Assert.Equal([0, 1, 2], tree.Select(c => c.CallIndex));
        Assert.All(tree, c => Assert.Equal(RunIds.Format(ChildSession(runId, 1, c.CallIndex), 1), c.RunId));
        Assert.Equal(3 * 100, run.DelegatedTokens);
    }

    [Fact]
    public async Task ManagerSiloKilled_AfterItStartedTheSpecialists_ResumedManagerReusesTheirRuns()
    {
        await using var cluster = await StartClusterAsync();
        const string SessionId = "orphan";
        var runId = RunIds.Format(SessionId, 1);
        var victim = cluster.Cluster.Silos[1];
        var manager = await CreateOnAsync(cluster, victim, SessionId, DelegationAgents.Manager);
        var survivors = cluster.Cluster.Silos.Where(s => s != victim).ToList();
        for (var i = 0; i < 3; i++)
        {
            await PlaceAsync(cluster, survivors[i % 2], ChildSession(runId, 1, i));
        }

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var task in Parts)
        {
            script.Hold(task, release.Task);
        }

        await manager.SubmitAsync("worker worker worker");
        await Eventually.TrueAsync(
            async () => (await EventsAsync(cluster, runId)).Count(e => e.Type == RunEventTypes.DelegationStarted) == 3,
            Recovery,
            $"run {runId} journals the three specialist runs it started");
        await Eventually.TrueAsync(() => Task.FromResult(server.Requests.Count(r => DelegationScript.AgentOf(r) == DelegationAgents.Worker) == 3), Recovery, "the three specialists call the model");

        await cluster.Cluster.KillSiloAsync(victim, Ct);
        release.SetResult();
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Equal("done: did part 1 | did part 2 | did part 3", run.Reply);
        Assert.NotEqual(victim.SiloAddress, cluster.SiloOf(manager)?.SiloAddress);
        var journal = await EventsAsync(cluster, runId);
        Assert.Contains(journal, e => e.Type == RunEventTypes.Resumed);
        // The resumed manager asked for the same three runs and found them: no second run, no second model call.
        Assert.Equal(3, journal.Count(e => e.Type == RunEventTypes.DelegationStarted));
        Assert.Equal(3, await CountAsync($"SELECT count(*) FROM grain_state WHERE name = 'session' AND grain_id LIKE 'agent-session/{SessionId}~1.%'"));
        for (var i = 0; i < 3; i++)
        {
            var child = ChildSession(runId, 1, i);
            Assert.Equal(1, await CountAsync($"SELECT count(*) FROM grain_log WHERE stream = 'runs' AND grain_id = 'agent-session/{child}'"));
            Assert.Equal(1, await CountAsync($"SELECT count(*) FROM message_keys WHERE grain_id = 'agent-session/{child}' AND key = 'delegate:{runId}:1:{i}'"));
            var view = await RetryTransientAsync(() => cluster.Grains.GetGrain<IAgentSessionGrain>(child).GetRunAsync(RunIds.Format(child, 1)), child);
            Assert.Equal((RunStatus.Completed, runId), (view!.Status, view.ParentRunId));
        }

        Assert.Equal(3, server.Requests.Count(r => DelegationScript.AgentOf(r) == DelegationAgents.Worker));
        Assert.Equal(1, server.Requests.Count(r => DelegationScript.AgentOf(r) == DelegationAgents.Manager && r.Messages.All(m => m.Role != "tool")));
    }

    [Fact]
    public async Task Cycle_AToBToA_CycleDetectedToolErrorAtOnceAndNoRunStarted()
    {
        await using var cluster = await StartClusterAsync(silos: 1);

        var runId = await SubmitAsync(cluster, "cycle", DelegationAgents.Ping, "pong=ping");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        var pongRun = RunIds.Format(ChildSession(runId, 1, 0), 1);
        var pong = await EventsAsync(cluster, pongRun);
        var refused = Assert.Single(pong, e => e.Type == RunEventTypes.ToolResult);
        Assert.StartsWith("error: CycleDetected: calling 'ping' from ping → pong", refused.Text, StringComparison.Ordinal);
        AssertRefusedWithTheReply(pong, refused);
        Assert.Equal($"done: done: {refused.Text}", run.Reply);
        // Only ping's own session and pong's: nothing was started for the refused call.
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM grain_state WHERE name = 'session' AND grain_id LIKE 'agent-session/cycle%'"));
    }

    [Fact]
    public async Task DepthLimit_ChainDeeperThanMaxDepth_DepthExceededToolErrorAtTheLimit()
    {
        await using var cluster = await StartClusterAsync(silos: 1, maxDepth: 2);

        var runId = await SubmitAsync(cluster, "deep", "d1", "d2=d3=d4");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        var d2 = ChildSession(runId, 1, 0);
        var d3Run = RunIds.Format(ChildSession(RunIds.Format(d2, 1), 1, 0), 1);
        var d3 = await EventsAsync(cluster, d3Run);
        var refused = Assert.Single(d3, e => e.Type == RunEventTypes.ToolResult);
        Assert.StartsWith("error: DepthExceeded: calling 'd4' from d1 → d2 → d3", refused.Text, StringComparison.Ordinal);
        AssertRefusedWithTheReply(d3, refused);
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM grain_state WHERE name = 'session' AND grain_id LIKE 'agent-session/{d3Run}.%'"));
        Assert.Equal(0, server.Requests.Count(r => DelegationScript.AgentOf(r) == "d4"));
        Assert.Equal($"done: done: done: {refused.Text}", run.Reply);
    }

    [Fact]
    public async Task CancelManager_ThreeLevelTreeInFlight_EveryDescendantCancelledByItsManagerAndNoFurtherModelRequests()
    {
        await using var cluster = await StartClusterAsync();
        const string SessionId = "tree";
        var runId = RunIds.Format(SessionId, 1);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(SessionId);
        await session.CreateAsync(DelegationAgents.Top);
        script.HangAlways(DelegationAgents.Leaf);

        await session.SubmitAsync("mid=leaf,leaf mid=leaf,leaf");
        await Eventually.TrueAsync(() => Task.FromResult(server.Requests.Count(r => DelegationScript.AgentOf(r) == DelegationAgents.Leaf) == 4), Recovery, "four leaf specialists call the model");
        var mids = Enumerable.Range(0, 2).Select(i => RunIds.Format(ChildSession(runId, 1, i), 1)).ToList();
        var leaves = mids.SelectMany(mid => Enumerable.Range(0, 2).Select(i => RunIds.Format(ChildSession(mid, 1, i), 1))).ToList();
        var requestsBefore = server.Requests.Count;

        var cancelled = await session.CancelRunAsync(runId);

        Assert.Equal(RunStatus.Cancelled, cancelled.Status);
        // The leaves' model calls never answer: only their managers' cancellation, passed down the tree, ends them.
        foreach (var descendant in mids.Concat(leaves))
        {
            await WaitForStatusAsync(cluster, descendant, RunStatus.Cancelled, Recovery, $"descendant run {descendant} is cancelled once its root is");
        }

        foreach (var mid in mids)
        {
            var midView = await SessionOf(cluster, mid).GetRunAsync(mid);
            Assert.StartsWith($"cancelled because its manager run {runId} ended cancelled", midView!.Reason, StringComparison.Ordinal);
        }

        foreach (var leaf in leaves)
        {
            var leafView = await SessionOf(cluster, leaf).GetRunAsync(leaf);
            var mid = mids[leaves.IndexOf(leaf) / 2];
            Assert.StartsWith($"cancelled because its manager run {mid} ended cancelled", leafView!.Reason, StringComparison.Ordinal);
        }

        // Nothing can ask the model for them again: their drivers stopped with the cancel, and no
        // watchdog reminder is left in the tree to resume any of them (each is removed just after the
        // commit that ended its run).
        await Eventually.TrueAsync(
            async () => await CountAsync($"SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE 'agent-session/{SessionId}%'") == 0,
            Recovery,
            $"no Orleans reminder is left for the sessions of tree {SessionId}");
        Assert.Equal(requestsBefore, server.Requests.Count);
    }

    [Fact]
    public async Task PersonCancelsOneSpecialist_ManagerModelGetsCancelledAndTheSiblingsAndManagerComplete()
    {
        await using var cluster = await StartClusterAsync(silos: 1);
        script.HangOnce("part 1");

        var runId = await SubmitAsync(cluster, "cancel-one", DelegationAgents.Manager, "worker worker");
        var first = ChildSession(runId, 1, 0);
        await Eventually.TrueAsync(() => Task.FromResult(WorkerRequests("part 1") == 1), Recovery, "the first specialist's model call is in flight");
        await cluster.Grains.GetGrain<IAgentSessionGrain>(first).CancelRunAsync(RunIds.Format(first, 1));
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Equal($"done: error: Cancelled: specialist 'worker' (run {RunIds.Format(first, 1)}) was cancelled: cancelled by request. | did part 2", run.Reply);
        Assert.Equal(1, WorkerRequests("part 1"));
    }

    [Fact]
    public async Task SpecialistThrowsOrExceedsItsBudget_ManagerModelGetsTypedErrorsAndTheRunCompletes()
    {
        await using var cluster = await StartClusterAsync(silos: 1);

        var runId = await SubmitAsync(cluster, "resilient", DelegationAgents.Resilient, "broken worker greedy=worker");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        var results = run.Reply!["done: ".Length..].Split(" | ");
        Assert.Equal(3, results.Length);
        Assert.StartsWith("error: SpecialistFailed: specialist 'broken'", results[0], StringComparison.Ordinal);
        Assert.Contains("the disk is on fire", results[0], StringComparison.Ordinal);
        Assert.Equal("did part 2", results[1]);
        Assert.StartsWith("error: BudgetExceeded: specialist 'greedy'", results[2], StringComparison.Ordinal);
        Assert.Contains("token budget exhausted", results[2], StringComparison.Ordinal);
        Assert.Equal(["failed", "succeeded", "failed"], run.Steps[0].ToolCalls.Select(c => c.Status));
        // The manager's model saw the three results as tool messages and answered once more.
        Assert.Equal(2, server.Requests.Count(r => DelegationScript.AgentOf(r) == DelegationAgents.Resilient));
    }

    [Fact]
    public async Task SpecialistSlowerThanItsContractTimeout_ManagerGetsTimedOutAndTheSpecialistRunIsCancelled()
    {
        await using var cluster = await StartClusterAsync(silos: 1);
        script.HangAlways(DelegationAgents.Slowpoke);

        var runId = await SubmitAsync(cluster, "impatient", DelegationAgents.Impatient, "slowpoke");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        var slowRun = RunIds.Format(ChildSession(runId, 1, 0), 1);
        Assert.StartsWith($"done: error: TimedOut: specialist 'slowpoke' (run {slowRun}) did not finish within 1 s", run.Reply, StringComparison.Ordinal);
        await WaitForStatusAsync(cluster, slowRun, RunStatus.Cancelled, TimeSpan.FromSeconds(10), $"the timed-out specialist run {slowRun} is cancelled");
    }

    [Fact]
    public async Task SpecialistWaitsForApproval_LongerThanItsContractTimeout_ManagerKeepsAnsweringAndCompletesOnceApproved()
    {
        // The silo's clock: real time, moved on by the test to stand for a person taking their time.
        var clock = new AdjustableClock();
        var polls = new RunPolls();
        await using var cluster = await StartClusterAsync(silos: 1, services: s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<IIncomingGrainCallFilter>(polls);
        });
        const string SessionId = "overseer";
        var runId = RunIds.Format(SessionId, 1);
        var manager = cluster.Grains.GetGrain<IAgentSessionGrain>(SessionId);
        await manager.CreateAsync(DelegationAgents.Overseer);
        var childSession = ChildSession(runId, 1, 0);
        var childRun = RunIds.Format(childSession, 1);
        var child = cluster.Grains.GetGrain<IAgentSessionGrain>(childSession);

        await manager.SubmitAsync("careful=launch");
        await WaitForStatusAsync(cluster, childRun, RunStatus.AwaitingApproval, Recovery, $"specialist run {childRun} asks for approval");
        // A person takes longer than the specialist's contract timeout to decide: twice as long.
        var seen = polls.AwaitingApproval(childRun);
        clock.Advance(DelegationAgents.SlowpokeTimeout * 2);
        // Two more answers to the manager's polls: the second was asked for after the clock had moved on.
        await Eventually.TrueAsync(
            async () => polls.AwaitingApproval(childRun) >= seen + 2 || (await manager.GetRunAsync(runId))!.Status != RunStatus.Running,
            Recovery,
            $"manager run {runId} polls its specialist {childRun} twice more while it waits for approval");
        Assert.Equal(RunStatus.Running, (await manager.GetRunAsync(runId))!.Status);
        Assert.Empty(await EventsOfTypeAsync(cluster, runId, RunEventTypes.ToolResult));

        await child.DecideApprovalAsync(childRun, "call_1", approve: true);
        var run = await WaitForEndAsync(cluster, runId);

        Assert.Equal((RunStatus.Completed, "done: done: launched part 1"), (run.Status, run.Reply));
    }

    [Fact]
    public async Task Handoff_ModelTransfersTheConversation_TheOtherAgentAnswersThisRunAndTheNextMessages()
    {
        server.Enqueue(
            FakeResponse.Calls([new FakeToolCall("transfer_to_billing", """{"reason":"a refund"}""", "call_1"), new FakeToolCall("transfer_to_billing", "{}", "call_2")]),
            FakeResponse.Text("billing here"),
            FakeResponse.Text("billing again"));
        await using var cluster = await StartClusterAsync(silos: 1);
        const string SessionId = "handoff";
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(SessionId);
        await session.CreateAsync(DelegationAgents.Triage);

        var first = await session.SendAsync("I want my money back");
        var second = await session.SendAsync("and the other invoice?");

        Assert.Equal(("billing here", "billing again"), (first.Reply, second.Reply));
        var run = (await session.GetRunAsync(first.RunId))!;
        Assert.Equal(DelegationAgents.Billing, run.Agent);
        Assert.Equal(["succeeded", "failed"], run.Steps[0].ToolCalls.Select(c => c.Status));
        var handoff = Assert.Single(await EventsAsync(cluster, first.RunId), e => e.Type == RunEventTypes.Handoff);
        Assert.Equal((DelegationAgents.Billing, 1), (handoff.Agent, handoff.Step));
        Assert.Equal(DelegationAgents.Billing, (await session.GetRunAsync(second.RunId))!.Agent);
        var view = (await session.GetAsync())!;
        Assert.Equal((DelegationAgents.Triage, DelegationAgents.Billing), (view.Agent, view.CurrentAgent));
        var requests = server.Requests;
        Assert.Equal(["triage", "billing", "billing"], requests.Select(DelegationScript.AgentOf));
        Assert.Contains(requests[0].Tools, t => t.Name == "transfer_to_billing");
        // The agent taking over sees the whole conversation, the handoff's results included.
        Assert.Equal(["user", "assistant", "tool", "tool"], requests[1].Messages.Skip(1).Select(m => m.Role));
        Assert.StartsWith("transferred to billing", requests[1].Messages[3].Content, StringComparison.Ordinal);
        Assert.StartsWith("error: the conversation was already handed to 'billing'", requests[1].Messages[4].Content, StringComparison.Ordinal);
        Assert.Equal("I want my money back", requests[2].Messages[1].Content);
    }

    [Fact]
    public async Task SpecialistOutlastsTheManagersWallTimeBudget_ManagerEndsBudgetExceededAndTheSpecialistIsCancelled()
    {
        await using var cluster = await StartClusterAsync(silos: 1);
        script.HangAlways(DelegationAgents.Leaf);

        var runId = await SubmitAsync(cluster, "hasty", DelegationAgents.Hasty, "leaf");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.Equal(RunStatus.BudgetExceeded, run.Status);
        Assert.StartsWith("wall-time budget exhausted", run.Reason, StringComparison.Ordinal);
        var leafRun = RunIds.Format(ChildSession(runId, 1, 0), 1);
        var result = Assert.Single(await EventsAsync(cluster, runId), e => e.Type == RunEventTypes.ToolResult);
        Assert.StartsWith($"error: TimedOut: specialist 'leaf' (run {leafRun}) did not finish before its manager's wall-time budget ran out", result.Text, StringComparison.Ordinal);
        await WaitForStatusAsync(cluster, leafRun, RunStatus.Cancelled, TimeSpan.FromSeconds(10), $"the specialist run {leafRun} is cancelled");
    }

    [Fact]
    public async Task SpecialistTokens_CountTowardTheManagerBudget_ManagerStopsWhenTheirSumExceedsIt()
    {
        await using var cluster = await StartClusterAsync(silos: 1);

        var runId = await SubmitAsync(cluster, "thrifty", DelegationAgents.Thrifty, "worker worker");
        var run = await WaitForEndAsync(cluster, runId);

        // Its own step used 100 tokens, under the budget of 250; with its two specialists' 200 it is over.
        Assert.Equal(RunStatus.BudgetExceeded, run.Status);
        Assert.Equal(100, run.InputTokens + run.OutputTokens);
        Assert.Equal(200, run.DelegatedTokens);
        Assert.Equal(
            string.Create(CultureInfo.InvariantCulture, $"token budget exhausted: 300 tokens used of {DelegationAgents.ThriftyTokens}"),
            run.Reason);
        Assert.Equal(1, server.Requests.Count(r => DelegationScript.AgentOf(r) == DelegationAgents.Thrifty));
    }

    [Fact]
    public async Task SpecialistCall_ArgumentsOutsideItsSchemaOrAMisspeltName_ToolErrorsAndNoRunStarted()
    {
        server.Enqueue(
            FakeResponse.Calls([new FakeToolCall(DelegationAgents.Worker, """{"job":"x"}""", "call_1"), new FakeToolCall("wroker", """{"task":"x"}""", "call_2")]),
            FakeResponse.Text("gave up"));
        await using var cluster = await StartClusterAsync(silos: 1);

        var runId = await SubmitAsync(cluster, "schema", DelegationAgents.Manager, "anything");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.Equal((RunStatus.Completed, "gave up"), (run.Status, run.Reply));
        var results = (await EventsAsync(cluster, runId)).Where(e => e.Type == RunEventTypes.ToolResult).OrderBy(e => e.Call!.CallIndex).ToList();
        Assert.Equal(2, results.Count);
        Assert.StartsWith("error: invalid arguments for 'worker'", results[0].Text, StringComparison.Ordinal);
        Assert.Contains("task", results[0].Text, StringComparison.Ordinal);
        Assert.Equal("error: unknown tool 'wroker'; available tools: worker.", results[1].Text);
        Assert.Null(run.Children);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM grain_state WHERE name = 'session' AND grain_id LIKE 'agent-session/schema%'"));
    }

    private static IAgentSessionGrain SessionOf(SessionCluster cluster, string runId) =>
        cluster.Grains.GetGrain<IAgentSessionGrain>(runId[..runId.LastIndexOf(RunIds.Separator)]);

    private static Task WaitForStatusAsync(SessionCluster cluster, string runId, string status, TimeSpan within, string expectation) =>
        Eventually.TrueAsync(async () => (await SessionOf(cluster, runId).GetRunAsync(runId))?.Status == status, within, expectation);

    /// <summary>Creates session <paramref name="sessionId"/> for <paramref name="agent"/> and submits <paramref name="text"/>; returns the run id.</summary>
    private static async Task<string> SubmitAsync(SessionCluster cluster, string sessionId, string agent, string text)
    {
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        await session.CreateAsync(agent);
        return (await session.SubmitAsync(text)).RunId;
    }

    /// <summary>A refusal made at once: journaled with the reply that asked for the call (right after it), never run, and no specialist run started for it.</summary>
    private static void AssertRefusedWithTheReply(List<RunEvent> events, RunEvent refused)
    {
        var reply = Assert.Single(events, e => e.Type == RunEventTypes.ModelReply && e.Step == 1);
        Assert.Equal(reply.Sequence + 1, refused.Sequence);
        Assert.Null(refused.Call!.DurationMs);
        Assert.DoesNotContain(events, e => e.Type == RunEventTypes.DelegationStarted);
    }

    private Task<SessionCluster> StartClusterAsync(short silos = 3, int maxDepth = 4, Action<IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>(server.ModelSettings)
        {
            ["Delegation:MaxDepth"] = maxDepth.ToString(CultureInfo.InvariantCulture),
            ["Delegation:PollWait"] = "00:00:02",
        };
        return SessionCluster.StartAsync(
            storage,
            silos,
            s =>
            {
                DelegationAgents.AddTo(s, WatchdogPeriod);
                services?.Invoke(s);
            },
            settings);
    }

    /// <summary>The session of call <paramref name="index"/> of step <paramref name="step"/> of <paramref name="runId"/>.</summary>
    private static string ChildSession(string runId, int step, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{runId}.{step}.{index}");

    private int WorkerRequests(string task) =>
        server.Requests.Count(r => DelegationScript.AgentOf(r) == DelegationAgents.Worker && DelegationScript.TaskOf(r) == task);

    private async Task<long> CountAsync(string sql) => Convert.ToInt64(await storage.ScalarAsync(sql), CultureInfo.InvariantCulture);

    /// <summary>Creates the session with its activation on <paramref name="silo"/>.</summary>
    private static async Task<IAgentSessionGrain> CreateOnAsync(SessionCluster cluster, InProcessSiloHandle silo, string sessionId, string agent)
    {
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        await cluster.ActivateOnAsync(silo, session, () => session.CreateAsync(agent));
        return session;
    }

    /// <summary>Activates a session that does not exist yet on <paramref name="silo"/> (a read, which writes nothing).</summary>
    private static async Task PlaceAsync(SessionCluster cluster, InProcessSiloHandle silo, string sessionId)
    {
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        Assert.Null(await cluster.ActivateOnAsync(silo, session, session.GetInfoAsync));
    }

    private static Task<List<RunEvent>> EventsAsync(SessionCluster cluster, string runId) => ClusterRuns.EventsAsync(cluster.Grains, runId);

    private static async Task<List<RunEvent>> EventsOfTypeAsync(SessionCluster cluster, string runId, string type) =>
        [.. (await EventsAsync(cluster, runId)).Where(e => e.Type == type)];

    private static Task<RunView> WaitForEndAsync(SessionCluster cluster, string runId) => ClusterRuns.WaitForEndAsync(cluster.Grains, runId);

    private static Task<T> RetryTransientAsync<T>(Func<Task<T>> call, string what) => ClusterRuns.RetryTransientAsync(call, what);

    /// <summary>Counts the answers sessions give to long polls of a run that waits for approval (an Orleans incoming call filter).</summary>
    private sealed class RunPolls : IIncomingGrainCallFilter
    {
        private readonly ConcurrentDictionary<string, int> awaiting = new(StringComparer.Ordinal);

        /// <summary>How many polls of <paramref name="runId"/> were answered with the run awaiting approval.</summary>
        public int AwaitingApproval(string runId) => awaiting.GetValueOrDefault(runId);

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            await context.Invoke();
            if (context.InterfaceMethod?.Name == nameof(IAgentSessionGrain.WaitForRunAsync) && context.Result is RunView { Status: RunStatus.AwaitingApproval } view)
            {
                awaiting.AddOrUpdate(view.RunId, 1, static (_, n) => n + 1);
            }
        }
    }

    [Trait("Category", "Cluster")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : DelegationTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Cluster")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : DelegationTests(StorageUnderTest.Postgres())
    {
    }
}
