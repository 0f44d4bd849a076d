using System.Globalization;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Fault;

/// <summary>
/// Durable runs through crashes, takeovers, stalls and restarts: Orleans silos of a <see cref="SessionCluster"/>
/// over one database, the real OpenAI client against <see cref="FakeOpenAIServer"/>, and
/// side-effecting tools whose effects land in a <see cref="SideEffectLedger"/>.
/// </summary>
public abstract class RunRecoveryTests(StorageUnderTest storage) : IAsyncLifetime
{
    // At most the death timeout: a run taken over is watched on its new silo at once.
    private static readonly TimeSpan WatchdogPeriod = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Recovery = ClusterRuns.Recovery;

    private readonly SideEffectLedger ledger = new();
    private readonly ToolScriptResponder responder = new();
    private FakeOpenAIServer server = null!;

    /// <summary>Where the owner dies in <see cref="KillOwner_AtStepBoundary_RunCompletesElsewhereAsACrashFreeRunWithEachEffectOnce"/>.</summary>
    public enum Boundary
    {
        /// <summary>The model's reply with a side-effecting call is journaled; the tool started but did nothing yet.</summary>
        ReplyJournaled,

        /// <summary>The tool applied its effect and has not returned.</summary>
        ToolRunning,

        /// <summary>The tool's result is journaled; the next model call hangs.</summary>
        ToolResultJournaled,
    }

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        server = await FakeOpenAIServer.StartAsync();
        server.DefaultResponder = responder.Respond;
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(Boundary.ReplyJournaled)]
    [InlineData(Boundary.ToolRunning)]
    [InlineData(Boundary.ToolResultJournaled)]
    public async Task KillOwner_AtStepBoundary_RunCompletesElsewhereAsACrashFreeRunWithEachEffectOnce(Boundary boundary)
    {
        await using var cluster = await StartClusterAsync();
        const string Text = "charge charge";
        var expected = await CrashFreeHistoryAsync(cluster, "baseline", Text);
        var before = server.Requests.Count;
        var sessionId = $"kill-{boundary}";
        var runId = RunIds.Format(sessionId, 1);
        var (first, second) = ($"{runId}:1:0", $"{runId}:2:0");
        var victim = cluster.Cluster.Silos[1];
        var session = await CreateOnAsync(cluster, victim, sessionId);

        switch (boundary)
        {
            case Boundary.ReplyJournaled:
                ledger.HoldFirstInvocation(first, SideEffectLedger.HoldPoint.BeforeEffect);
                break;
            case Boundary.ToolRunning:
                ledger.HoldFirstInvocation(first, SideEffectLedger.HoldPoint.AfterEffect);
                break;
            default:
                responder.HangOnce(step: 2);
                break;
        }

        Assert.Equal(runId, (await session.SubmitAsync(Text)).RunId);
        if (boundary == Boundary.ToolResultJournaled)
        {
            await server.WaitForRequestsAsync(before + 2, Recovery);
            Assert.Equal(2, ToolScriptResponder.StepOf(server.Requests[before + 1]));
        }
        else
        {
            await ledger.WaitUntilHeldAsync(first, Recovery);
        }

        var journaled = await EventsAsync(cluster, runId);
        Assert.Contains(journaled, e => e.Type == RunEventTypes.ModelReply && e.Step == 1);
        Assert.Equal(boundary == Boundary.ToolResultJournaled, journaled.Any(e => e.Type == RunEventTypes.ToolResult && e.Step == 1));

        await cluster.Cluster.KillSiloAsync(victim, TestContext.Current.CancellationToken);
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Equal(expected, Project(await RetryTransientAsync(session.GetHistoryAsync, $"the history of {sessionId}")));
        var resumed = Assert.Single(await EventsAsync(cluster, runId), e => e.Type == RunEventTypes.Resumed);
        Assert.DoesNotContain(victim.SiloAddress.ToString(), resumed.Reason, StringComparison.Ordinal);
        Assert.Contains(cluster.Cluster.Silos, s => resumed.Reason!.Contains(s.SiloAddress.ToString(), StringComparison.Ordinal));
        // Each call applied once; only a call cut short by the kill was invoked again, with its own key.
        Assert.Equal(["charged 1", "charged 2"], [ledger.Effects[first], ledger.Effects[second]]);
        Assert.Equal(boundary == Boundary.ToolResultJournaled ? 1 : 2, ledger.Invocations[first]);
        Assert.Equal(boundary == Boundary.ToolRunning ? 2 : 1, ledger.Attempts[first]);
        Assert.Equal(1, ledger.Invocations[second]);
        Assert.Equal([first, second], RunKeys(runId));
        // Journaled replies are reused: one request per step, plus the one the kill cut short.
        var requests = RequestsPerConversation(before);
        Assert.Equal([1, 2, 3], requests.Keys);
        Assert.Equal([1, boundary == Boundary.ToolResultJournaled ? 2 : 1, 1], requests.Values);
    }

    [Fact]
    public async Task KillOwner_WhileAwaitingApproval_ApprovedThroughASurvivorTheCallRunsOnceAndTheRunCompletes()
    {
        await using var cluster = await StartClusterAsync();
        const string Text = "transfer";
        var expected = await CrashFreeHistoryAsync(cluster, "baseline", Text);
        var before = server.Requests.Count;
        const string SessionId = "approval-kill";
        var runId = RunIds.Format(SessionId, 1);
        var victim = cluster.Cluster.Silos[2];
        var session = await CreateOnAsync(cluster, victim, SessionId);
        await session.SubmitAsync(Text);
        await Eventually.TrueAsync(
            async () => (await EventsAsync(cluster, runId)).Any(e => e.Type == RunEventTypes.ApprovalRequested),
            Recovery,
            $"run {runId} asks for approval of its transfer");

        await cluster.Cluster.KillSiloAsync(victim, TestContext.Current.CancellationToken);
        // The person's decision reaches the session on a surviving silo; sent again with its key while the session is taken over.
        await RetryTransientAsync(
            () =>
            {
                using var key = IdempotencyKey.Use($"approve-{runId}");
                return session.DecideApprovalAsync(runId, "call_1", approve: true);
            },
            $"the approval of call_1 of {runId} after silo {victim.SiloAddress} was killed");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.NotEqual(victim.SiloAddress, cluster.SiloOf(session)?.SiloAddress);
        Assert.Equal(expected, Project(await RetryTransientAsync(session.GetHistoryAsync, $"the history of {SessionId}")));
        var key = $"{runId}:1:0";
        Assert.Equal([key], RunKeys(runId));
        Assert.Equal(("transferred 1", 1), (ledger.Effects[key], ledger.Invocations[key]));
        var requests = RequestsPerConversation(before);
        Assert.Equal([1, 2], requests.Keys);
        Assert.Equal([1, 1], requests.Values);
    }

    [Fact]
    public async Task ModelCallHangs_LongerThanTheStallTimeout_WatchdogResumesTheRunWhichCompletes()
    {
        await using var cluster = await StartClusterAsync(silos: 1);
        const string SessionId = "stalled";
        var runId = RunIds.Format(SessionId, 1);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(SessionId);
        await session.CreateAsync(PaymentTools.ImpatientAgent);
        responder.HangOnce(step: 1);

        await session.SubmitAsync("charge");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Equal("done: charged 1", run.Reply);
        var resumed = Assert.Single(await EventsAsync(cluster, runId), e => e.Type == RunEventTypes.Resumed);
        Assert.StartsWith("no progress for ", resumed.Reason, StringComparison.Ordinal);
        Assert.Equal(1, ledger.Invocations[$"{runId}:1:0"]);
        var requests = RequestsPerConversation(0);
        Assert.Equal([2, 1], requests.Values);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AllSilosGone_RunsInFlight_NewSilosResumeEveryRunWithoutANewMessage(bool graceful)
    {
        await using var cluster = await StartClusterAsync();
        const int Runs = 4;
        var sessions = Enumerable.Range(0, Runs).Select(i => $"restart-{i}").ToArray();
        // Step 1 is answered only once the old silos are gone: a run taken over while they go one by
        // one (a reminder ticking on a silo not stopped yet) stays in flight too.
        var down = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        responder.HoldStep(step: 1, down.Task);
        for (var i = 0; i < Runs; i++)
        {
            var session = await CreateOnAsync(cluster, cluster.Cluster.Silos[i % 3], sessions[i]);
            await session.SubmitAsync($"charge #{i}");
        }

        await server.WaitForRequestsAsync(Runs, Recovery);
        var before = 0;
        await using var restarted = await cluster.RestartAsync(graceful, whileDown: () =>
        {
            before = server.Requests.Count;
            down.SetResult();
        });

        // Nothing is sent to the sessions: their watchdog reminders bring them back. Each run then
        // asks for step 1 again and step 2.
        await server.WaitForRequestsAsync(before + (Runs * 2), Recovery);
        Assert.All(server.Requests.Take(before), static r => Assert.Equal(1, ToolScriptResponder.StepOf(r)));
        foreach (var sessionId in sessions)
        {
            var runId = RunIds.Format(sessionId, 1);
            var run = await WaitForEndAsync(restarted, runId);
            Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
            Assert.Equal("done: charged 1", run.Reply);
            Assert.Contains(await EventsAsync(restarted, runId), e => e.Type == RunEventTypes.Resumed);
            Assert.Equal(1, ledger.Invocations[$"{runId}:1:0"]);
        }

        // After the restart, each run asked for each of its two steps once.
        Assert.Equal(before + (Runs * 2), server.Requests.Count);
        var resumedRequests = server.Requests.Skip(before).GroupBy(ToolScriptResponder.Conversation).ToList();
        Assert.Equal(Runs * 2, resumedRequests.Count);
        Assert.All(resumedRequests, static c => Assert.Single(c));
    }

    [Fact]
    public async Task TransientModelErrors_ThirtyPercentWithAnUnknownToolAndABadCall_RunCompletesWithExactlyTheRetriesNeeded()
    {
        server.InjectTransientErrors(rate: 0.3, seed: 11);
        await using var cluster = await StartClusterAsync(silos: 1);
        const string SessionId = "flaky";
        var runId = RunIds.Format(SessionId, 1);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(SessionId);
        await session.CreateAsync(PaymentTools.PaymentsAgent);

        await session.SubmitAsync("charge refund charge:bad charge");
        var run = await WaitForEndAsync(cluster, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Equal(5, run.Steps.Count);
        // The model read both errors and carried on.
        Assert.StartsWith("done: charged 1 | error", run.Reply, StringComparison.Ordinal);
        Assert.Contains("refund", run.Reply, StringComparison.Ordinal);
        Assert.EndsWith(" | charged 4", run.Reply, StringComparison.Ordinal);
        Assert.Equal(["succeeded", "failed", "failed", "succeeded"], run.Steps.Take(4).Select(s => Assert.Single(s.ToolCalls).Status));
        Assert.Equal([$"{runId}:1:0", $"{runId}:4:0"], RunKeys(runId));
        Assert.All(ledger.Invocations.Values, n => Assert.Equal(1, n));
        Assert.True(server.InjectedFaults > 0, "the seed injected no fault; pick one that does");
        Assert.Equal(run.Steps.Count + server.InjectedFaults, server.Requests.Count);
    }

    private Task<SessionCluster> StartClusterAsync(short silos = 3)
    {
        var tools = new PaymentTools(ledger).Tools();
        var settings = new Dictionary<string, string?>(server.ModelSettings)
        {
            ["Model:MaxRetries"] = "10",
            ["Model:RetryBaseDelay"] = "00:00:00.010",
            ["Model:MaxRetryDelay"] = "00:00:00.100",
        };
        return SessionCluster.StartAsync(
            storage,
            silos,
            services =>
            {
                foreach (var tool in tools)
                {
                    services.AddSingleton(tool);
                }

                foreach (var agent in PaymentTools.Agents(WatchdogPeriod))
                {
                    services.AddSingleton(agent);
                }
            },
            settings);
    }

    /// <summary>Runs <paramref name="text"/> in a fresh session with nothing failing (approving what asks) and returns its history.</summary>
    private static async Task<List<string>> CrashFreeHistoryAsync(SessionCluster cluster, string sessionId, string text)
    {
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        await session.CreateAsync(PaymentTools.PaymentsAgent);
        var runId = (await session.SubmitAsync(text)).RunId;
        var deadline = DateTime.UtcNow + Recovery;
        RunView? finished;
        while ((finished = await session.WaitForRunAsync(runId, TimeSpan.FromMilliseconds(200))) is { IsTerminal: false } run)
        {
            Assert.True(DateTime.UtcNow < deadline, $"crash-free run {runId} is still {run.Status} after {Recovery.TotalSeconds} s ({run.Reason})");
            foreach (var call in run.Steps.Count == 0 ? [] : run.Steps[^1].ToolCalls.Where(c => c.Status == "awaiting_approval"))
            {
                await session.DecideApprovalAsync(runId, call.CallId, approve: true);
            }
        }

        Assert.True(finished!.Status == RunStatus.Completed, $"crash-free run {runId} ended {finished.Status}: {finished.Reason}");
        return Project(await session.GetHistoryAsync());
    }

    /// <summary>Creates the session with its activation on <paramref name="silo"/>.</summary>
    private static async Task<IAgentSessionGrain> CreateOnAsync(SessionCluster cluster, InProcessSiloHandle silo, string sessionId)
    {
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        await cluster.ActivateOnAsync(silo, session, () => session.CreateAsync(PaymentTools.PaymentsAgent));
        return session;
    }

    private static Task<List<RunEvent>> EventsAsync(SessionCluster cluster, string runId) => ClusterRuns.EventsAsync(cluster.Grains, runId);

    private static Task<RunView> WaitForEndAsync(SessionCluster cluster, string runId) => ClusterRuns.WaitForEndAsync(cluster.Grains, runId);

    private static Task<T> RetryTransientAsync<T>(Func<Task<T>> call, string what) => ClusterRuns.RetryTransientAsync(call, what);

    /// <summary>The history as the model sees it: role, text, tool call ids and calls, no times.</summary>
    private static List<string> Project(IReadOnlyList<HistoryEntry> history) =>
        [.. history.Select(static e => $"{e.Role}|{e.Content}|{e.ToolCallId}|{e.ToolName}|{string.Join(",", (e.ToolCalls ?? []).Select(static c => $"{c.Id}:{c.Name}:{c.Arguments}"))}")];

    private List<string> RunKeys(string runId) =>
        [.. ledger.Invocations.Keys.Where(k => k.StartsWith(runId + ":", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    /// <summary>The requests received after the first <paramref name="skip"/>, counted per distinct conversation, keyed by step.</summary>
    private SortedDictionary<int, int> RequestsPerConversation(int skip)
    {
        var byConversation = server.Requests.Skip(skip)
            .GroupBy(ToolScriptResponder.Conversation)
            .Select(g => (Step: ToolScriptResponder.StepOf(g.First()), Count: g.Count()))
            .ToList();
        Assert.True(
            byConversation.Select(c => c.Step).Distinct().Count() == byConversation.Count,
            $"two different conversations for one step: {string.Join(", ", byConversation.Select(c => c.Step.ToString(CultureInfo.InvariantCulture)))}");
        return new SortedDictionary<int, int>(byConversation.ToDictionary(c => c.Step, c => c.Count));
    }

    [Trait("Category", "Fault")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : RunRecoveryTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Fault")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : RunRecoveryTests(StorageUnderTest.Postgres())
    {
    }
}
