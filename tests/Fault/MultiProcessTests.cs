using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.Tests.Gateway;
using AgentGrains.Tests.Infrastructure;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using StackExchange.Redis;

namespace AgentGrains.Tests.Fault;

/// <summary>Orleans silos and a standalone gateway as separate OS processes over one PostgreSQL database, killed with SIGKILL or frozen with SIGSTOP.</summary>
/// <remarks>
/// <para>Every process of a test gets its own Orleans ports (<see cref="NodeProcess"/>) and the same
/// cluster and service ids; they find each other through membership in the shared test Redis
/// (<c>Cluster:Provider=Redis</c>) or in the test's PostgreSQL schema (<c>AdoNet</c>), with the
/// silo's tuned failure detection, so a dead silo is noticed by its peers, not announced by itself.</para>
/// <para>Orleans places a new session where it is first called, usually on the calling silo but not
/// always, so a test never assumes where a session lives: it reads the <c>silo</c> of the session's
/// run and picks the process to kill from that.</para>
/// </remarks>
[Trait("Category", "Fault")]
[Trait("Provider", "Postgres")]
public sealed class MultiProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    // What the notify tool reports to the model for a 200 answer.
    private const string Sent = "notification sent (HTTP 200).";

    // An agent defined in configuration with the calculator and a watchdog that ticks every second,
    // so a run whose silo died resumes on another within seconds without any request to it.
    private const string Calculating = "calculating";

    // The queries the research manager gives its two searchers, in call order.
    private static readonly string[] SearchQueries = ["idempotency keys", "fencing tokens"];

    private readonly StorageUnderTest storage = StorageUnderTest.Postgres();

    // One cluster per test: its own membership (a Redis key or rows keyed by it) and, with its own schema, its own data.
    private readonly string clusterId = $"multi-{Guid.NewGuid():N}";
    private string? redis;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        if (redis is not null)
        {
            // Leave nothing behind in a server given by AGENTGRAINS_TEST_REDIS.
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
            await connection.GetDatabase().KeyDeleteAsync(RedisClusteringOptions.DefaultCreateRedisKey(new ClusterOptions { ClusterId = clusterId, ServiceId = clusterId }));
        }

        await storage.DisposeAsync();
    }

    /// <remarks>
    /// Three silos and a standalone gateway; eight clients send 320 messages through the gateway, each
    /// with its own <c>Idempotency-Key</c>, one at a time per client over its own three sessions, and
    /// never retry: the gateway must carry every message through the death itself. Sessions are
    /// created through each silo in turn, which spreads them over the silos; once a quarter of the
    /// messages are acknowledged, the silo holding the most sessions (by their runs' <c>silo</c>) is killed.
    /// </remarks>
    [Theory]
    [InlineData("Redis")]
    [InlineData("AdoNet")]
    public async Task KillNineOfASilo_UnderLoadThroughTheStandaloneGateway_NoMessageLostOrDoubledAndNoClientError(string membership)
    {
        const int Clients = 8;
        const int SessionsPerClient = 3;
        const int MessagesPerClient = 40;
        const int Total = Clients * MessagesPerClient;
        var settings = await ClusterSettingsAsync(membership);
        await using var silo1 = await NodeProcess.StartSiloAsync("silo 1", settings, Ct);
        await using var silo2 = await NodeProcess.StartSiloAsync("silo 2", settings, Ct);
        await using var silo3 = await NodeProcess.StartSiloAsync("silo 3", settings, Ct);
        NodeProcess[] silos = [silo1, silo2, silo3];
        await using var gateway = await NodeProcess.StartGatewayAsync(new Dictionary<string, string?>(settings) { ["Logging:LogLevel:AgentGrains.Client.Gateway.Sessions.SessionCaller"] = "Information" }, Ct);
        // Beyond anything the gateway may take (its reads, send and reply wait are each bounded by
        // Gateway:MaxReplyWait), so a timeout here would be a real failure, not the client's impatience.
        using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(150) };

        var sessions = new string[Clients * SessionsPerClient];
        for (var i = 0; i < sessions.Length; i++)
        {
            sessions[i] = $"load-{i}";
            using var direct = new HttpClient { BaseAddress = silos[i % silos.Length].Address };
            using var created = await direct.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = sessions[i] }, Ct);
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"creating {sessions[i]} through {silos[i % silos.Length].Name}: {created.StatusCode} {await created.Content.ReadAsStringAsync(Ct)}");
        }

        var clock = Stopwatch.StartNew();
        var acknowledged = new ConcurrentBag<Acknowledged>();
        var errors = new ConcurrentQueue<string>();
        var pending = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var load = Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            for (var i = 0; i < MessagesPerClient; i++)
            {
                var session = sessions[(client * SessionsPerClient) + (i % SessionsPerClient)];
                var key = $"c{client}-m{i}";
                var text = $"note from client {client}, message {i}";
                var started = clock.Elapsed;
                pending[key] = $"{key} to {session}, sent at {started.TotalSeconds:0.00} s";
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{session}/messages") { Content = JsonContent.Create(new { text }) };
                    request.Headers.Add("Idempotency-Key", key);
                    using var response = await http.SendAsync(request, Ct);
                    var body = await response.Content.ReadAsStringAsync(Ct);
                    if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted))
                    {
                        errors.Enqueue($"{key} to {session} at {started.TotalSeconds:0.00} s: HTTP {(int)response.StatusCode} after {(clock.Elapsed - started).TotalSeconds:0.00} s: {body}");
                        continue;
                    }

                    var runId = JsonDocument.Parse(body).RootElement.GetProperty("runId").GetString()!;
                    acknowledged.Add(new Acknowledged(session, key, text, i, runId, response.StatusCode == HttpStatusCode.OK, started, clock.Elapsed));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !Ct.IsCancellationRequested)
                {
                    errors.Enqueue($"{key} to {session} at {started.TotalSeconds:0.00} s: {ex.GetType().Name} after {(clock.Elapsed - started).TotalSeconds:0.00} s: {ex.Message}");
                }
                finally
                {
                    pending.TryRemove(key, out _);
                }
            }
        }, Ct)));

        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= Total / 4 || load.IsCompleted), TimeSpan.FromSeconds(60), $"a quarter of the {Total} messages were acknowledged before the kill");
        Assert.False(load.IsCompleted, $"the load ended before the kill ({acknowledged.Count} acknowledged): nothing would be measured");
        // Where each session lives now: the silo of its latest run.
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var latest in acknowledged.GroupBy(static a => a.Session).Select(static g => g.MaxBy(static a => a.Index)!))
        {
            owners[latest.Session] = (await RunAsync(http, latest.RunId)).GetProperty("silo").GetString() ?? string.Empty;
        }

        var victim = silos.MaxBy(s => owners.Values.Count(s.IsSilo))!;
        var victimSessions = owners.Where(o => victim.IsSilo(o.Value)).Select(static o => o.Key).ToHashSet(StringComparer.Ordinal);
        Assert.True(victimSessions.Count > 0, $"no session lives on any of the silos: {string.Join(", ", owners.Select(static o => $"{o.Key}@{o.Value}"))}");
        var killedAt = clock.Elapsed;
        victim.Kill();
        var declaredDead = WaitUntilDeclaredDeadAsync(http, victim, clock);
        try
        {
            await load.WaitAsync(TimeSpan.FromSeconds(90), Ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"The load of {Total} messages did not end within 90 s of the kill of {victim.Name} at {killedAt.TotalSeconds:0.00} s; {acknowledged.Count} acknowledged; " +
                $"unanswered: {string.Join("; ", pending.Values)}; errors: {string.Join("\n", errors)}\n" +
                string.Join("\n", silos.Where(s => s != victim).Append(gateway).Select(Tail)));
        }

        var deadAfter = await declaredDead;
        var all = acknowledged.ToList();
        var longest = all.MaxBy(static a => a.Took)!;
        // When each of the victim's sessions first answered a message sent after the kill; the last of them.
        var recovered = victimSessions.Select(s => all.Where(a => a.Session == s && a.Started >= killedAt).Select(static a => a.At).DefaultIfEmpty(TimeSpan.MaxValue).Min()).Max();
        output.WriteLine(
            $"{membership} membership: {all.Count} of {Total} messages acknowledged ({all.Count(static a => !a.Completed)} with 202) in {clock.Elapsed.TotalSeconds:0.0} s; " +
            $"{victim.Name} (holding {victimSessions.Count} of {sessions.Length} sessions) killed at {killedAt.TotalSeconds:0.00} s, declared dead after {deadAfter?.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) ?? "(not seen)"} s; " +
            $"each of its sessions answered a message sent after the kill within {(recovered == TimeSpan.MaxValue ? "(none sent)" : (recovered - killedAt).TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture))} s of the kill; " +
            $"longest request {longest.Took.TotalSeconds:0.00} s ({longest.Key} to {longest.Session}, started at {longest.Started.TotalSeconds:0.00} s).");

        // No client-visible error: every message answered 200 or 202 on its only attempt.
        Assert.True(errors.IsEmpty, $"{errors.Count} requests failed:\n{string.Join("\n", errors.Take(20))}\n--- gateway ---\n{Tail(gateway)}");
        Assert.Equal(Total, all.Count);
        // Nothing lost: every acknowledged message's run completed.
        var runs = all.Select(static a => a.RunId).ToList();
        Assert.Equal(Total, runs.Distinct(StringComparer.Ordinal).Count());
        foreach (var ack in all.Where(static a => !a.Completed))
        {
            var run = await WaitForRunAsync(http, gateway, ack.RunId, RunStatus.IsTerminal, "acknowledged with 202, ended");
            Assert.Equal(RunStatus.Completed, run.GetProperty("status").GetString());
        }

        // Nothing doubled: each session's history holds its user messages once each, in the order sent;
        // each key was recorded once, with one run.
        foreach (var session in sessions)
        {
            var sent = all.Where(a => a.Session == session).OrderBy(static a => a.Index).ToList();
            var history = await HistoryAsync(http, session);
            Assert.Equal(sent.Select(static a => a.Text), history.Where(static e => e.GetProperty("role").GetString() == "user").Select(static e => e.GetProperty("content").GetString()));
            Assert.Equal(
                (sent.Count, sent.Count),
                (await CountAsync($"SELECT count(*) FROM grain_log WHERE stream = 'runs' AND grain_id = 'agent-session/{session}'"),
                 await CountAsync($"SELECT count(*) FROM message_keys WHERE key LIKE 'http:%' AND grain_id = 'agent-session/{session}'")));
            Assert.All(sent, a => Assert.Equal(RunIds.Format(session, sent.IndexOf(a) + 1), a.RunId));
        }

        var ended = await Task.WhenAll(runs.Select(runId => RunAsync(http, runId)));
        Assert.All(ended, run => Assert.Equal(RunStatus.Completed, run.GetProperty("status").GetString()));
    }

    /// <remarks>
    /// The run uses a configured agent with the side-effect-free calculator; what is checked is that
    /// journaled steps are reused on the new owner, not re-requested. A side-effecting call in
    /// flight at the kill is covered by the test after this one.
    /// </remarks>
    [Fact]
    public async Task KillNineOfTheOwner_WhileItsRunWaitsForTheModel_RunCompletesOnAnotherProcessFromItsJournal()
    {
        await using var model = await FakeOpenAIServer.StartAsync();
        var responder = new ToolScriptResponder();
        model.DefaultResponder = responder.Respond;
        responder.HangOnce(step: 2);
        const string SessionId = "kill9-run";
        await using var silos = await StartRunAsync(await CalculatingSettingsAsync(model), SessionId, Calculating, "calculator");
        // Step 1 (the calculator call and its result) is journaled once step 2 is asked for.
        await model.WaitForRequestsAsync(2, TimeSpan.FromSeconds(60));

        silos.Owner.Kill();
        // No request to the session: its watchdog reminder brings the run back on the survivor.
        await model.WaitForRequestsAsync(3, TimeSpan.FromSeconds(60));
        var run = await WaitForRunAsync(silos.ToOther, silos.Other, silos.RunId, RunStatus.IsTerminal, "ended on the surviving silo process");

        Assert.Equal((RunStatus.Completed, "done: 42"), (run.GetProperty("status").GetString(), run.GetProperty("reply").GetString()));
        Assert.True(silos.Other.IsSilo(run.GetProperty("silo").GetString()), $"the run ended on {run.GetProperty("silo")}, not on {silos.Other.Name}");
        var history = await HistoryAsync(silos.ToOther, SessionId);
        Assert.Equal(["user", "assistant", "tool", "assistant"], history.Select(e => e.GetProperty("role").GetString()));
        Assert.Equal(("call_1", "42"), (history[2].GetProperty("toolCallId").GetString(), history[2].GetProperty("content").GetString()));
        // Step 1 was asked once; step 2 twice: the request the kill cut short, and the resumed one.
        Assert.Equal([(1, 1), (2, 2)], RequestsPerStep(model));
    }

    /// <remarks>
    /// The agent and the <c>notify</c> webhook tool come from configuration only, as an operator
    /// would define them. The receiver applies the first attempt's effect and then never answers:
    /// the kill lands while the call is in flight, after the effect happened outside. The new
    /// owner must invoke the call again with the same idempotency key (the result was never
    /// journaled), and the receiver's deduplication keeps the effect single.
    /// </remarks>
    [Fact]
    public async Task KillNineOfTheOwner_WhileASideEffectingCallIsInFlight_EffectAppliedOncePerKeyAndRunCompletesElsewhere()
    {
        await using var model = await PayerModelAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hold = WebhookHold.AfterEffect;
        const string SessionId = "kill9-notify";
        await using var silos = await StartRunAsync(await PayerSettingsAsync(model, receiver), SessionId, "payer", "capture p-42 and notify billing");
        var key = await receiver.WaitUntilHeldAsync(TimeSpan.FromSeconds(60));
        await AssertCallInFlightOnTheOwnerAsync(silos, key);
        Assert.Single(model.Requests);

        silos.Owner.Kill();
        receiver.ReleaseHeld();
        // No request to the session: its watchdog reminder brings the run back on the survivor,
        // which invokes the call again because its result was never journaled.
        await receiver.WaitForAttemptsAsync(2, TimeSpan.FromSeconds(60));
        await AssertCompletedOnTheOtherProcessAsync(silos);

        // Two attempts with one key, one effect: the first applied it, the second was deduplicated.
        Assert.Equal([key, key], receiver.Attempts.Select(static a => a.Key));
        AssertSingleEffect(receiver, key, SessionId, silos.RunId);
        await AssertPayerJournalAsync(silos, SessionId, model, [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.Resumed, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished]);
    }

    /// <remarks>
    /// The step boundary right after the model's reply is journaled: the side-effecting call has
    /// been decided on but its effect has not happened yet. The receiver holds the first attempt
    /// before applying anything and, once released, drops it unanswered, so the effect exists only
    /// if the new owner invokes the call again: it must happen exactly once, not zero times (a
    /// resume that took the pending call for done) and not twice.
    /// </remarks>
    [Fact]
    public async Task KillNineOfTheOwner_AfterTheReplyIsJournaledBeforeTheToolRuns_CallInvokedAgainWithItsKeyAndEffectAppliedOnce()
    {
        await using var model = await PayerModelAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hold = WebhookHold.BeforeEffect;
        const string SessionId = "kill9-before-effect";
        await using var silos = await StartRunAsync(await PayerSettingsAsync(model, receiver), SessionId, "payer", "capture p-42 and notify billing");
        var key = await receiver.WaitUntilHeldAsync(TimeSpan.FromSeconds(60));
        await AssertCallInFlightOnTheOwnerAsync(silos, key);
        Assert.Empty(receiver.Effects);
        Assert.Single(model.Requests);

        silos.Owner.Kill();
        receiver.ReleaseHeld();
        await receiver.WaitForAttemptsAsync(2, TimeSpan.FromSeconds(60));
        await AssertCompletedOnTheOtherProcessAsync(silos);

        // Two attempts with one key; the first was dropped without effect, so the one effect is the second's.
        Assert.Equal([key, key], receiver.Attempts.Select(static a => a.Key));
        AssertSingleEffect(receiver, key, SessionId, silos.RunId);
        await AssertPayerJournalAsync(silos, SessionId, model, [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.Resumed, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished]);
    }

    /// <remarks>
    /// A run waiting for a person holds no driver: after the kill nothing moves until the decision
    /// arrives, through the other process's gateway, which is sent once: the gateway retries it
    /// with its key until the dead silo's session is taken over. The approved call then runs once
    /// on the new owner.
    /// </remarks>
    [Fact]
    public async Task KillNineOfTheOwner_WhileWaitingForApproval_ApprovalThroughTheOtherProcessRunsTheCallOnce()
    {
        await using var model = await PayerModelAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var settings = await PayerSettingsAsync(model, receiver);
        settings["Tools:Notify:NeedsConfirmation"] = "true";
        const string SessionId = "kill9-approval";
        await using var silos = await StartRunAsync(settings, SessionId, "payer", "capture p-42 and notify billing");
        var waiting = await WaitForRunAsync(
            silos.ToOwner, silos.Owner, silos.RunId, static s => s == RunStatus.AwaitingApproval || RunStatus.IsTerminal(s), "waits for approval on the owner");
        Assert.Equal(RunStatus.AwaitingApproval, waiting.GetProperty("status").GetString());
        var call = Assert.Single(Assert.Single(waiting.GetProperty("steps").EnumerateArray()).GetProperty("toolCalls").EnumerateArray());
        var key = $"{silos.RunId}:1:0";
        Assert.Equal(
            ("call_1", WebhookTool.Name, ToolCallStatus.AwaitingApproval, key),
            (call.GetProperty("callId").GetString(), call.GetProperty("name").GetString(), call.GetProperty("status").GetString(), call.GetProperty("idempotencyKey").GetString()));
        Assert.Empty(receiver.Attempts);
        Assert.Single(model.Requests);

        silos.Owner.Kill();
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/runs/{silos.RunId}/approvals/call_1") { Content = JsonContent.Create(new { approve = true }) })
        {
            request.Headers.Add("Idempotency-Key", "approve-kill9-approval-call_1");
            using var decided = await silos.ToOther.SendAsync(request, Ct);
            var body = await decided.Content.ReadAsStringAsync(Ct);
            Assert.True(decided.StatusCode == HttpStatusCode.OK, $"approving call_1 of {silos.RunId} through {silos.Other.Name} once: {decided.StatusCode} {body}\n{Tail(silos.Other)}");
            Assert.NotEqual(RunStatus.AwaitingApproval, JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
        }

        await AssertCompletedOnTheOtherProcessAsync(silos);

        // The call ran once, after the decision, on the new owner.
        Assert.Equal([key], receiver.Attempts.Select(static a => a.Key));
        AssertSingleEffect(receiver, key, SessionId, silos.RunId);
        await AssertPayerJournalAsync(
            silos, SessionId, model,
            [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.ApprovalRequested, RunEventTypes.ApprovalDecided, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished]);
    }

    /// <remarks>
    /// <para>The showcase's research manager on one process, one of its two parallel searcher
    /// specialists on the other, the real OpenAI client against the fake server: the process running
    /// the specialist is killed while the specialist's model call is in flight.</para>
    /// <para>Orleans decides where each session lives, usually but not always on the silo that first
    /// calls it, so the test steers and then looks: each searcher's session is read first through
    /// the second process, both searchers' first model calls are held, and the victim is a searcher
    /// whose run is on another silo than the manager's. When the cluster put all three together, that
    /// attempt is cancelled and the scenario starts again with a new session.</para>
    /// </remarks>
    [Fact]
    public async Task KillNineOfASpecialistsProcess_WhileItsModelCallIsInFlight_ManagerCompletesWithOneRunPerCall()
    {
        await using var model = await FakeOpenAIServer.StartAsync();
        var script = new ResearchModelScript();
        var armed = new ConcurrentDictionary<string, TaskCompletionSource>(StringComparer.Ordinal);
        // A searcher's first model request for an armed query waits until the test releases it or its caller goes away.
        model.DefaultResponder = request =>
        {
            var response = script.Respond(request);
            return SearchQuery(request) is { } query && armed.TryRemove(query, out var hold) ? response.HeldUntil(hold.Task) : response;
        };
        var settings = new Dictionary<string, string?>((await ClusterSettingsAsync("Redis")).Concat(model.ModelSettings));
        await using var first = await NodeProcess.StartSiloAsync("silo 1", settings, Ct);
        await using var second = await NodeProcess.StartSiloAsync("silo 2", settings, Ct);
        using var toFirst = new HttpClient { BaseAddress = first.Address, Timeout = TimeSpan.FromSeconds(90) };
        using var toSecond = new HttpClient { BaseAddress = second.Address, Timeout = TimeSpan.FromSeconds(90) };

        var collisions = new List<string>();
        Placed? placed = null;
        for (var attempt = 1; placed is null; attempt++)
        {
            Assert.True(attempt <= 8, $"the cluster placed the manager and both searchers on one silo in every attempt: {string.Join("; ", collisions)}");
            var sessionId = $"kill9-specialist-{attempt}";
            var runId = RunIds.Format(sessionId, 1);
            var before = model.Requests.Count;
            var holds = SearchQueries.ToDictionary(static q => q, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), StringComparer.Ordinal);
            foreach (var (query, hold) in holds)
            {
                armed[query] = hold;
            }

            using (var created = await toFirst.PostAsJsonAsync("/v1/sessions", new { agent = "research", sessionId }, Ct))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            for (var call = 0; call < SearchQueries.Length; call++)
            {
                using var unknown = await toSecond.GetAsync($"/v1/runs/{SearcherRun(runId, call)}", Ct);
                Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            }

            using (var accepted = await toFirst.PostAsJsonAsync($"/v1/sessions/{sessionId}/messages?wait=false", new { text = ResearchModelScript.Question }, Ct))
            {
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            }

            await Eventually.TrueAsync(
                () => Task.FromResult(SearchQueries.All(q => SearchRequests(model, before, q) == 1)),
                TimeSpan.FromSeconds(60),
                $"both searchers of {runId} are waiting for their first model reply");
            var managerSilo = (await RunAsync(toFirst, runId)).GetProperty("silo").GetString();
            var searcherSilos = new string?[SearchQueries.Length];
            for (var call = 0; call < SearchQueries.Length; call++)
            {
                searcherSilos[call] = (await RunAsync(toFirst, SearcherRun(runId, call))).GetProperty("silo").GetString();
            }

            var victim = Array.FindLastIndex(searcherSilos, silo => silo != managerSilo);
            if (victim < 0)
            {
                collisions.Add($"attempt {attempt}: all on {managerSilo}");
                using (var cancelled = await toFirst.PostAsync($"/v1/runs/{runId}/cancel", null, Ct))
                {
                    Assert.True(cancelled.StatusCode == HttpStatusCode.OK, $"cancelling {runId}: {cancelled.StatusCode} {await cancelled.Content.ReadAsStringAsync(Ct)}");
                }

                foreach (var hold in holds.Values)
                {
                    hold.TrySetResult();
                }

                // Nothing of the cancelled attempt may still ask the model once the next one counts requests.
                foreach (var run in (string[])[runId, SearcherRun(runId, 0), SearcherRun(runId, 1)])
                {
                    await WaitForRunAsync(toFirst, first, run, RunStatus.IsTerminal, "of a cancelled attempt ended");
                }

                continue;
            }

            var managers = first.IsSilo(managerSilo) ? first : second;
            var specialists = managers == first ? second : first;
            Assert.True(
                managers.IsSilo(managerSilo) && specialists.IsSilo(searcherSilos[victim]),
                $"the manager's run is on {managerSilo} and its searcher's on {searcherSilos[victim]}, not on {first.Name} (port {first.SiloPort}) and {second.Name} (port {second.SiloPort})");
            // The other searcher ends on its own; wherever it runs, it has nothing left to redo.
            var other = 1 - victim;
            holds[SearchQueries[other]].TrySetResult();
            await WaitForRunAsync(toFirst, first, SearcherRun(runId, other), static s => s == RunStatus.Completed, "of the other searcher completed before the kill");
            placed = new Placed(runId, before, managers, specialists, managerSilo!, victim);
        }

        using var toManagers = placed.Managers == first ? toFirst : toSecond;
        placed.Specialists.Kill();
        var finished = await WaitForRunAsync(toManagers, placed.Managers, placed.RunId, RunStatus.IsTerminal, "of the manager ended on the surviving process", TimeSpan.FromSeconds(90));
        output.WriteLine($"The searcher for '{SearchQueries[placed.Victim]}' was the victim{(collisions.Count == 0 ? string.Empty : $", after {string.Join("; ", collisions)}")}.");

        Assert.True(finished.GetProperty("status").GetString() == RunStatus.Completed, $"{finished}\n{Tail(placed.Managers)}");
        Assert.Equal(ResearchModelScript.Report, finished.GetProperty("reply").GetString());
        var children = finished.GetProperty("children").EnumerateArray().ToList();
        Assert.Equal(
            [SearcherRun(placed.RunId, 0), SearcherRun(placed.RunId, 1), $"{placed.RunId}.2.0~1"],
            children.Select(static c => c.GetProperty("runId").GetString()));
        Assert.All(children, c => Assert.Equal(RunStatus.Completed, c.GetProperty("status").GetString()));
        // The killed searcher's run, and the analyst's after it, ended on the only survivor.
        Assert.Equal([placed.ManagerSilo, placed.ManagerSilo], new[] { children[placed.Victim], children[2] }.Select(static c => c.GetProperty("silo").GetString()));
        // One specialist run per call; the killed one asked the model again on its new owner.
        Assert.Equal(3, await CountAsync($"SELECT count(*) FROM grain_log WHERE stream = 'runs' AND grain_id LIKE 'agent-session/{placed.RunId}.%'"));
        Assert.Equal(
            (2, 1),
            (SearchRequests(model, placed.RequestsBefore, SearchQueries[placed.Victim]), SearchRequests(model, placed.RequestsBefore, SearchQueries[1 - placed.Victim])));
    }

    /// <remarks>
    /// <para>A silo frozen by SIGSTOP holds its sockets open but answers nothing: its peers declare it
    /// dead by missed probes, and the session it held is activated on the other silo, which resumes
    /// the run from its journal and completes it. The frozen silo still holds its activation and the
    /// model call it had in flight.</para>
    /// <para>That call's reply is released before SIGCONT, so the first thing the resumed silo does
    /// with the session is try to journal it: a commit based on a version the live activation has
    /// long moved past, which the journal must refuse. Whatever the resumed process does next (it
    /// learns it was declared dead and stops), the journal must stay exactly as the live
    /// activation left it.</para>
    /// </remarks>
    [Fact]
    public async Task FreezeOfTheOwner_PastItsDeathWhileItsModelCallIsHeld_LateCommitRefusedAndJournalAsTheLiveActivationWroteIt()
    {
        await using var model = await FakeOpenAIServer.StartAsync();
        var responder = new ToolScriptResponder();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        // The first request for step 2 is answered only when the test releases it; later ones at once.
        model.DefaultResponder = request => ToolScriptResponder.StepOf(request) == 2 && Interlocked.Exchange(ref held, 1) == 0
            ? responder.Respond(request).HeldUntil(release.Task)
            : responder.Respond(request);
        const string SessionId = "frozen-owner";
        await using var silos = await StartRunAsync(await CalculatingSettingsAsync(model), SessionId, Calculating, "calculator");
        await model.WaitForRequestsAsync(2, TimeSpan.FromSeconds(60));
        var journaledBefore = await JournalAsync(SessionId);

        await silos.Owner.FreezeAsync();
        try
        {
            await WaitUntilDeclaredDeadAsync(silos.ToOther, silos.Owner, TimeSpan.FromSeconds(60));
            var run = await WaitForRunAsync(silos.ToOther, silos.Other, silos.RunId, RunStatus.IsTerminal, "ended on the live silo while the owner is frozen");
            Assert.Equal((RunStatus.Completed, "done: 42"), (run.GetProperty("status").GetString(), run.GetProperty("reply").GetString()));
            Assert.True(silos.Other.IsSilo(run.GetProperty("silo").GetString()), $"the run ended on {run.GetProperty("silo")}, not on {silos.Other.Name}");
        }
        finally
        {
            release.TrySetResult();
            await silos.Owner.ContinueAsync();
        }

        var live = await JournalAsync(SessionId);
        var requests = model.Requests.Count;
        // Orleans stops a silo that finds itself declared dead; until then it may act on what it held.
        await Eventually.TrueAsync(() => Task.FromResult(silos.Owner.HasExited), TimeSpan.FromSeconds(30), $"the resumed {silos.Owner.Name} learned it was declared dead and stopped");
        // Its first act was to journal the reply it got: refused, as based on a version the live activation moved past.
        Assert.True(
            silos.Owner.Output.Contains($"Session {SessionId}: this activation stops committing and deactivates: another activation committed first", StringComparison.Ordinal),
            $"the resumed {silos.Owner.Name} logged no refused commit for {SessionId} before it stopped\n{Tail(silos.Owner)}");

        Assert.True(journaledBefore.Rows.Count < live.Rows.Count, "the live activation journaled the rest of the run");
        Assert.Equal(live, await JournalAsync(SessionId));
        var history = await HistoryAsync(silos.ToOther, SessionId);
        Assert.Equal(["user", "assistant", "tool", "assistant"], history.Select(e => e.GetProperty("role").GetString()));
        var events = await EventTypesAsync(silos.ToOther, silos.RunId);
        Assert.Equal([RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.ToolResult, RunEventTypes.Resumed, RunEventTypes.ModelReply, RunEventTypes.Finished], events);
        // Step 2 twice: the frozen silo's held request and the live one's; nothing asked after the resume.
        Assert.Equal([(1, 1), (2, 2)], RequestsPerStep(model));
        Assert.Equal(requests, model.Requests.Count);
    }

    private static string SearcherRun(string managerRun, int call) => $"{managerRun}.1.{call.ToString(CultureInfo.InvariantCulture)}~1";

    /// <summary>The query of a searcher's first model request (no tool result yet); null for any other request.</summary>
    private static string? SearchQuery(FakeChatRequest request) =>
        ResearchModelScript.Agent(request) == "searcher" && request.Messages.All(static m => m.Role != "tool")
            ? SearchQueries.FirstOrDefault(q => request.Messages[^1].Content?.Contains(q, StringComparison.Ordinal) == true)
            : null;

    /// <summary>How many first searcher requests for <paramref name="query"/> arrived after the first <paramref name="skip"/> requests.</summary>
    private static int SearchRequests(FakeOpenAIServer model, int skip, string query) =>
        model.Requests.Skip(skip).Count(r => SearchQuery(r) == query);

    /// <summary>What every process of this test's cluster is started with: the test's storage, membership and ids, and loopback addresses.</summary>
    private async Task<Dictionary<string, string?>> ClusterSettingsAsync(string membership)
    {
        var settings = new Dictionary<string, string?>(storage.Settings)
        {
            ["Cluster:Provider"] = membership,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (membership == "Redis")
        {
            redis ??= (await RedisServer.GetAsync()).ConnectionString;
            settings["ConnectionStrings:Redis"] = redis;
        }

        return settings;
    }

    /// <summary>Redis membership, the fake OpenAI server, and the <see cref="Calculating"/> agent.</summary>
    private async Task<Dictionary<string, string?>> CalculatingSettingsAsync(FakeOpenAIServer model)
    {
        var settings = new Dictionary<string, string?>((await ClusterSettingsAsync("Redis")).Concat(model.ModelSettings))
        {
            [$"Agents:{Calculating}:Instructions"] = "You compute with the calculator.",
            [$"Agents:{Calculating}:Tools:0"] = CalculatorTool.Name,
            [$"Agents:{Calculating}:WatchdogPeriod"] = "00:00:01",
        };
        return settings;
    }

    /// <summary>Redis membership, the fake OpenAI server, and the <c>payer</c> agent with its <c>notify</c> tool, from configuration only.</summary>
    private async Task<Dictionary<string, string?>> PayerSettingsAsync(FakeOpenAIServer model, WebhookReceiver receiver)
    {
        var settings = new Dictionary<string, string?>((await ClusterSettingsAsync("Redis")).Concat(model.ModelSettings))
        {
            ["Tools:Notify:Url"] = receiver.Url.ToString(),
            // The receiver is on loopback, which the notify tool refuses unless told otherwise.
            ["Tools:Notify:AllowPrivateNetworks"] = "true",
            ["Agents:payer:Instructions"] = "You capture payments and notify billing of each one.",
            ["Agents:payer:Tools:0"] = WebhookTool.Name,
            ["Agents:payer:WatchdogPeriod"] = "00:00:01",
        };
        return settings;
    }

    /// <summary>A fake model deterministic by conversation: step 1 asks for one notification, step 2 reports the tool result.</summary>
    private static async Task<FakeOpenAIServer> PayerModelAsync()
    {
        var model = await FakeOpenAIServer.StartAsync();
        var usage = new FakeUsage(100, 10);
        model.DefaultResponder = request => ToolScriptResponder.StepOf(request) == 1
            ? FakeResponse.Call(WebhookTool.Name, """{"message":"payment p-42 captured","channel":"billing"}""", "call_1", usage)
            : FakeResponse.Text("done: " + string.Join(" | ", request.Messages.Where(static m => m.Role == "tool").Select(static m => m.Content)), usage);
        return model;
    }

    /// <summary>Starts two silo processes, creates the session with <paramref name="agent"/> through the first and submits <paramref name="text"/> there; the run's silo tells which process owns it.</summary>
    private static async Task<TwoSilos> StartRunAsync(Dictionary<string, string?> settings, string sessionId, string agent, string text)
    {
        var first = await NodeProcess.StartSiloAsync("silo 1", settings, Ct);
        NodeProcess? second = null;
        try
        {
            second = await NodeProcess.StartSiloAsync("silo 2", settings, Ct);
            using var direct = new HttpClient { BaseAddress = first.Address, Timeout = TimeSpan.FromSeconds(60) };
            using (var created = await direct.PostAsJsonAsync("/v1/sessions", new { agent, sessionId }, Ct))
            {
                Assert.True(created.StatusCode == HttpStatusCode.Created, $"creating session {sessionId} with agent {agent}: {created.StatusCode} {await created.Content.ReadAsStringAsync(Ct)}\n{Tail(first)}");
            }

            string runId;
            using (var accepted = await direct.PostAsJsonAsync($"/v1/sessions/{sessionId}/messages?wait=false", new { text }, Ct))
            {
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
                runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("runId").GetString()!;
            }

            var silo = (await RunAsync(direct, runId)).GetProperty("silo").GetString();
            var (owner, other) = first.IsSilo(silo) ? (first, second) : second.IsSilo(silo) ? (second, first)
                : throw new Xunit.Sdk.XunitException($"run {runId} is on silo '{silo}', neither {first.Name} (port {first.SiloPort}) nor {second.Name} (port {second.SiloPort})");
            return new TwoSilos(owner, other) { RunId = runId };
        }
        catch
        {
            await first.DisposeAsync();
            if (second is not null)
            {
                await second.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The call is in flight on the owner with its reply already journaled: the owner answers reads between steps and shows it pending with its key.</summary>
    private static async Task AssertCallInFlightOnTheOwnerAsync(TwoSilos silos, string key)
    {
        var view = await RunAsync(silos.ToOwner, silos.RunId);
        Assert.Equal(RunStatus.Running, view.GetProperty("status").GetString());
        var call = Assert.Single(Assert.Single(view.GetProperty("steps").EnumerateArray()).GetProperty("toolCalls").EnumerateArray());
        Assert.Equal(
            (WebhookTool.Name, ToolCallStatus.Pending, $"{silos.RunId}:1:0"),
            (call.GetProperty("name").GetString(), call.GetProperty("status").GetString(), call.GetProperty("idempotencyKey").GetString()));
        Assert.Equal($"{silos.RunId}:1:0", key);
    }

    /// <summary>The run completed with the tool result in its reply, on the other process, which now holds the session.</summary>
    private static async Task AssertCompletedOnTheOtherProcessAsync(TwoSilos silos)
    {
        var run = await WaitForRunAsync(silos.ToOther, silos.Other, silos.RunId, RunStatus.IsTerminal, "ended on the surviving silo process");
        Assert.Equal((RunStatus.Completed, "done: " + Sent), (run.GetProperty("status").GetString(), run.GetProperty("reply").GetString()));
        Assert.True(silos.Other.IsSilo(run.GetProperty("silo").GetString()), $"the run ended on {run.GetProperty("silo")}, not on {silos.Other.Name} (port {silos.Other.SiloPort})");
        var finalCall = Assert.Single(Assert.Single(run.GetProperty("steps").EnumerateArray(), s => s.GetProperty("step").GetInt32() == 1).GetProperty("toolCalls").EnumerateArray());
        Assert.Equal((ToolCallStatus.Succeeded, $"{silos.RunId}:1:0"), (finalCall.GetProperty("status").GetString(), finalCall.GetProperty("idempotencyKey").GetString()));
    }

    /// <summary>Exactly one effect, under <paramref name="key"/>, carrying the notification the model asked for.</summary>
    private static void AssertSingleEffect(WebhookReceiver receiver, string key, string sessionId, string runId)
    {
        var effect = Assert.Single(receiver.Effects);
        Assert.Equal(key, effect.Key);
        using var payload = JsonDocument.Parse(effect.Value);
        Assert.Equal(
            ("payment p-42 captured", "billing", sessionId, runId),
            (payload.RootElement.GetProperty("message").GetString(), payload.RootElement.GetProperty("channel").GetString(),
             payload.RootElement.GetProperty("sessionId").GetString(), payload.RootElement.GetProperty("runId").GetString()));
    }

    /// <summary>
    /// History user / assistant (the notify call) / tool / assistant, each model step requested
    /// once (step 1 was journaled before the tool started, so the new owner reused it), and the
    /// run's journal as <paramref name="expectedEvents"/>.
    /// </summary>
    private static async Task AssertPayerJournalAsync(TwoSilos silos, string sessionId, FakeOpenAIServer model, string[] expectedEvents)
    {
        var history = await HistoryAsync(silos.ToOther, sessionId);
        Assert.Equal(["user", "assistant", "tool", "assistant"], history.Select(static e => e.GetProperty("role").GetString()));
        var requested = Assert.Single(history[1].GetProperty("toolCalls").EnumerateArray());
        Assert.Equal(("call_1", WebhookTool.Name), (requested.GetProperty("id").GetString(), requested.GetProperty("name").GetString()));
        Assert.Equal(("call_1", Sent), (history[2].GetProperty("toolCallId").GetString(), history[2].GetProperty("content").GetString()));
        Assert.Equal("done: " + Sent, history[3].GetProperty("content").GetString());

        Assert.Equal([(1, 1), (2, 1)], RequestsPerStep(model));
        Assert.Equal(expectedEvents, await EventTypesAsync(silos.ToOther, silos.RunId));
    }

    /// <summary>The types of a run's events, in order, from its event stream.</summary>
    private static async Task<List<string>> EventTypesAsync(HttpClient http, string runId)
    {
        using var events = await http.GetAsync($"/v1/runs/{runId}/events", Ct);
        return [.. (await events.Content.ReadAsStringAsync(Ct)).Split('\n')
            .Where(static line => line.StartsWith("event: ", StringComparison.Ordinal))
            .Select(static line => line["event: ".Length..])];
    }

    /// <summary><c>GET /v1/runs/{runId}</c>, which must answer 200.</summary>
    private static async Task<JsonElement> RunAsync(HttpClient http, string runId)
    {
        using var response = await http.GetAsync($"/v1/runs/{runId}", Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET run {runId} at {http.BaseAddress}: {response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls <c>GET /v1/runs/{runId}</c> until its status satisfies <paramref name="until"/>; returns that view.</summary>
    private static async Task<JsonElement> WaitForRunAsync(HttpClient http, NodeProcess process, string runId, Func<string, bool> until, string expectation, TimeSpan? timeout = null)
    {
        JsonElement run = default;
        var last = "no answer";
        try
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    using var response = await http.GetAsync($"/v1/runs/{runId}", Ct);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        last = $"HTTP {(int)response.StatusCode}";
                        return false;
                    }

                    run = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).Clone();
                    last = run.GetProperty("status").GetString()!;
                    return until(last);
                },
                timeout ?? TimeSpan.FromSeconds(60),
                $"run {runId} {expectation}");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen at {process.Name}: {last}\n{Tail(process)}", ex);
        }

        return run;
    }

    /// <summary>Polls <c>GET /v1/cluster</c> until <paramref name="silo"/> is listed dead; returns how long that took.</summary>
    private static async Task WaitUntilDeclaredDeadAsync(HttpClient http, NodeProcess silo, TimeSpan timeout)
    {
        var last = "no answer";
        try
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    using var response = await http.GetAsync("/v1/cluster", Ct);
                    last = await response.Content.ReadAsStringAsync(Ct);
                    return response.StatusCode == HttpStatusCode.OK
                        && JsonDocument.Parse(last).RootElement.GetProperty("silos").EnumerateArray()
                            .Any(s => silo.IsSilo(s.GetProperty("address").GetString()) && s.GetProperty("status").GetString() == "dead");
                },
                timeout,
                $"the cluster declared {silo.Name} (port {silo.SiloPort}) dead");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last /v1/cluster: {last}", ex);
        }
    }

    /// <summary>How long after <paramref name="clock"/>'s present the cluster listed <paramref name="silo"/> dead, or null if not within 30 s.</summary>
    private static async Task<TimeSpan?> WaitUntilDeclaredDeadAsync(HttpClient http, NodeProcess silo, Stopwatch clock)
    {
        var from = clock.Elapsed;
        try
        {
            await WaitUntilDeclaredDeadAsync(http, silo, TimeSpan.FromSeconds(30));
            return clock.Elapsed - from;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private static async Task<List<JsonElement>> HistoryAsync(HttpClient http, string sessionId)
    {
        using var session = await http.GetAsync($"/v1/sessions/{sessionId}", Ct);
        Assert.True(session.StatusCode == HttpStatusCode.OK, $"GET session {sessionId} at {http.BaseAddress}: {session.StatusCode}");
        return [.. (await session.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("history").EnumerateArray().Select(static e => e.Clone())];
    }

    /// <summary>A session's journal as stored: its head's version and every row, in order.</summary>
    private async Task<Journal> JournalAsync(string sessionId)
    {
        var grainId = $"agent-session/{sessionId}";
        var version = Convert.ToInt64(await storage.ScalarAsync($"SELECT version FROM grain_state WHERE grain_id = '{grainId}' AND name = 'session'"), CultureInfo.InvariantCulture);
        var rows = (string?)await storage.ScalarAsync(
            $"SELECT string_agg(stream || ':' || seq || ':' || payload, E'\\n' ORDER BY stream, seq) FROM grain_log WHERE grain_id = '{grainId}'") ?? string.Empty;
        return new Journal(version, rows.Split('\n'));
    }

    private async Task<int> CountAsync(string sql) => Convert.ToInt32(await storage.ScalarAsync(sql), CultureInfo.InvariantCulture);

    /// <summary>How many times each step of each conversation was requested from the model: (step, count), ordered.</summary>
    private static List<(int Step, int Count)> RequestsPerStep(FakeOpenAIServer model) =>
        [.. model.Requests.GroupBy(ToolScriptResponder.Conversation).Select(static g => (ToolScriptResponder.StepOf(g.First()), g.Count())).Order()];

    /// <summary>The end of what a process printed, for failure messages.</summary>
    private static string Tail(NodeProcess process)
    {
        var all = process.Output;
        return $"--- {process.Name} ---\n" + (all.Length > 6000 ? all[^6000..] : all);
    }

    /// <summary>A message the gateway acknowledged: to which session, with which key and text, its run, and when (on the test's clock).</summary>
    private sealed record Acknowledged(string Session, string Key, string Text, int Index, string RunId, bool Completed, TimeSpan Started, TimeSpan At)
    {
        public TimeSpan Took => At - Started;
    }

    /// <summary>Where a research run's sessions ended up: the manager's process and silo, the other process, the victim searcher's call index, and the request count before the attempt.</summary>
    private sealed record Placed(string RunId, int RequestsBefore, NodeProcess Managers, NodeProcess Specialists, string ManagerSilo, int Victim);

    /// <summary>A session's stored journal: the head's version and its rows (stream:seq:payload).</summary>
    private sealed record Journal(long Version, IReadOnlyList<string> Rows)
    {
        public bool Equals(Journal? other) => other is not null && Version == other.Version && Rows.SequenceEqual(other.Rows, StringComparer.Ordinal);

        public override int GetHashCode() => HashCode.Combine(Version, Rows.Count);

        public override string ToString() => $"version {Version}, {Rows.Count} rows:\n{string.Join("\n", Rows)}";
    }

    /// <summary>The owner of a session and the other silo process, with an HTTP client to each; disposing kills both.</summary>
    private sealed class TwoSilos(NodeProcess owner, NodeProcess other) : IAsyncDisposable
    {
        public NodeProcess Owner { get; } = owner;

        public NodeProcess Other { get; } = other;

        public HttpClient ToOwner { get; } = new() { BaseAddress = owner.Address, Timeout = TimeSpan.FromSeconds(30) };

        // Beyond the gateway's own bound (Gateway:MaxReplyWait for the retries, each attempt CallMargin past its wait),
        // so a call that the other process could not serve ends in its problem answer, not here.
        public HttpClient ToOther { get; } = new() { BaseAddress = other.Address, Timeout = TimeSpan.FromSeconds(90) };

        public string RunId { get; init; } = string.Empty;

        public async ValueTask DisposeAsync()
        {
            ToOwner.Dispose();
            ToOther.Dispose();
            await Owner.DisposeAsync();
            await Other.DisposeAsync();
        }
    }
}
