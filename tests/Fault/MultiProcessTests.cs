using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.Tests.Gateway;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Fault;

/// <summary>Silos and a standalone gateway as separate OS processes over one PostgreSQL database.</summary>
[Trait("Category", "Fault")]
[Trait("Provider", "Postgres")]
public sealed class MultiProcessTests : IAsyncLifetime
{
    // What the notify tool reports to the model for a 200 answer.
    private const string Sent = "notification sent (HTTP 200).";

    private readonly StorageUnderTest storage = StorageUnderTest.Postgres();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public ValueTask DisposeAsync() => storage.DisposeAsync();

    [Fact]
    public async Task KillNineOfASilo_UnderLoadThroughTheGateway_NothingLostOrDoubled()
    {
        var settings = new Dictionary<string, string?>(storage.Settings)
        {
            ["Silo:HeartbeatInterval"] = "00:00:00.500",
            ["Silo:DeathTimeout"] = "00:00:03",
            ["Storage:FlushEachCommit"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        await using var silo1 = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var silo2 = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var silo3 = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var gateway = await NodeProcess.StartAsync("AgentGrains.Client.dll", settings, Ct);
        using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(60) };
        // Sessions placed on the silos directly (each lands where it is first called), then used through the gateway.
        var sessions = new List<string>();
        foreach (var (silo, n) in new[] { (silo1, 1), (silo2, 2), (silo3, 3) })
        {
            using var direct = new HttpClient { BaseAddress = silo.Address };
            for (var i = 0; i < 4; i++)
            {
                var id = $"s{n}-{i}";
                using var created = await direct.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = id }, Ct);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                sessions.Add(id);
            }
        }

        var acknowledged = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        var sent = 0;
        var load = Task.WhenAll(Enumerable.Range(0, 6).Select(async client =>
        {
            for (var i = 0; i < 15; i++)
            {
                var session = sessions[(client * 15 + i) % sessions.Count];
                var text = $"note c{client}-{i}";
                // Clients retry with the same Idempotency-Key until acknowledged: at most once, never lost.
                while (true)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{session}/messages") { Content = JsonContent.Create(new { text }) };
                    request.Headers.Add("Idempotency-Key", $"c{client}-{i}");
                    using var response = await http.SendAsync(request, Ct);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.GetOrAdd(session, _ => []).Add(text);
                        Interlocked.Increment(ref sent);
                        break;
                    }

                    Assert.True((int)response.StatusCode >= 500, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
                }
            }
        }));
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref sent) >= 20), TimeSpan.FromSeconds(60), "20 messages acknowledged before the kill");
        silo3.Kill();
        await load.WaitAsync(TimeSpan.FromSeconds(120), Ct);

        foreach (var session in sessions)
        {
            using var response = await http.GetAsync($"/v1/sessions/{session}", Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {session}: {response.StatusCode}\n{silo1.Output}\n{gateway.Output}");
            var history = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("history").EnumerateArray()
                .Where(e => e.GetProperty("role").GetString() == "user")
                .Select(e => e.GetProperty("content").GetString()!)
                .ToList();
            var expected = acknowledged.TryGetValue(session, out var texts) ? texts.Order().ToList() : [];
            Assert.Equal(expected, history.Order().ToList());
        }
    }

    /// <remarks>
    /// The run uses the built-in assistant's side-effect-free calculator; what is checked is that
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
        var settings = RunSettings(model);
        await using var owner = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var survivor = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        using var toOwner = new HttpClient { BaseAddress = owner.Address };
        using var toSurvivor = new HttpClient { BaseAddress = survivor.Address, Timeout = TimeSpan.FromSeconds(60) };
        const string SessionId = "kill9-run";
        using (var created = await toOwner.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = SessionId }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var placed = await storage.ScalarAsync($"SELECT s.address FROM activations a JOIN silos s ON s.silo_id = a.silo_id WHERE a.grain_id = 'agent-session/{SessionId}'");
        Assert.Equal(owner.Address.ToString().TrimEnd('/'), (placed as string)?.TrimEnd('/'));
        using var accepted = await toOwner.PostAsJsonAsync($"/v1/sessions/{SessionId}/messages?wait=false", new { text = "calculator" }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("runId").GetString()!;
        // Step 1 (the calculator call and its result) is journaled once step 2 is asked for.
        await model.WaitForRequestsAsync(2, TimeSpan.FromSeconds(60));

        owner.Kill();
        // No request to the session: its watchdog reminder brings the run back on the survivor.
        await model.WaitForRequestsAsync(3, TimeSpan.FromSeconds(60));
        var run = await WaitForRunAsync(toSurvivor, survivor, runId, RunStatus.IsTerminal, "ended on the surviving silo process");

        Assert.Equal((RunStatus.Completed, "done: 42"), (run.GetProperty("status").GetString(), run.GetProperty("reply").GetString()));
        var history = await HistoryAsync(toSurvivor, SessionId);
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
        await using var silos = await StartPayerRunAsync(PayerSettings(model, receiver), SessionId);
        var key = await receiver.WaitUntilHeldAsync(TimeSpan.FromSeconds(60));
        await AssertCallInFlightOnTheOwnerAsync(silos, key);
        Assert.Single(model.Requests);

        silos.Owner.Kill();
        receiver.ReleaseHeld();
        // No request to the session: its watchdog reminder brings the run back on the survivor,
        // which invokes the call again because its result was never journaled.
        await receiver.WaitForAttemptsAsync(2, TimeSpan.FromSeconds(60));
        await AssertCompletedOnTheOtherProcessAsync(silos, SessionId);

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
        await using var silos = await StartPayerRunAsync(PayerSettings(model, receiver), SessionId);
        var key = await receiver.WaitUntilHeldAsync(TimeSpan.FromSeconds(60));
        await AssertCallInFlightOnTheOwnerAsync(silos, key);
        Assert.Empty(receiver.Effects);
        Assert.Single(model.Requests);

        silos.Owner.Kill();
        receiver.ReleaseHeld();
        await receiver.WaitForAttemptsAsync(2, TimeSpan.FromSeconds(60));
        await AssertCompletedOnTheOtherProcessAsync(silos, SessionId);

        // Two attempts with one key; the first was dropped without effect, so the one effect is the second's.
        Assert.Equal([key, key], receiver.Attempts.Select(static a => a.Key));
        AssertSingleEffect(receiver, key, SessionId, silos.RunId);
        await AssertPayerJournalAsync(silos, SessionId, model, [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.Resumed, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished]);
    }

    /// <remarks>
    /// A run waiting for a person holds no driver and no watchdog: after the kill nothing moves
    /// until the decision arrives, through the other process's gateway. That request fails with
    /// 503/504 until the dead silo's grains are taken over, so it is retried as a client would,
    /// with the same Idempotency-Key; the approved call then runs once on the new owner.
    /// </remarks>
    [Fact]
    public async Task KillNineOfTheOwner_WhileWaitingForApproval_ApprovalThroughTheOtherProcessRunsTheCallOnce()
    {
        await using var model = await PayerModelAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var settings = PayerSettings(model, receiver);
        settings["Tools:Notify:NeedsConfirmation"] = "true";
        const string SessionId = "kill9-approval";
        await using var silos = await StartPayerRunAsync(settings, SessionId);
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
        var decided = await ApproveAsync(silos, "call_1", "approve-kill9-approval-call_1");
        Assert.NotEqual(RunStatus.AwaitingApproval, decided.GetProperty("status").GetString());
        await AssertCompletedOnTheOtherProcessAsync(silos, SessionId);

        // The call ran once, after the decision, on the new owner.
        Assert.Equal([key], receiver.Attempts.Select(static a => a.Key));
        AssertSingleEffect(receiver, key, SessionId, silos.RunId);
        await AssertPayerJournalAsync(
            silos, SessionId, model,
            [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.ApprovalRequested, RunEventTypes.ApprovalDecided, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished]);
    }

    /// <remarks>
    /// The showcase's research manager on one process, one of its two parallel searcher specialists
    /// on the other (its session is read there first, which activates it there), the real OpenAI
    /// client against the fake server: the process running the specialist is killed while the
    /// specialist's model call is in flight.
    /// </remarks>
    [Fact]
    public async Task KillNineOfASpecialistsProcess_WhileItsModelCallIsInFlight_ManagerCompletesWithOneRunPerCall()
    {
        await using var model = await FakeOpenAIServer.StartAsync();
        var script = new ResearchModelScript();
        model.DefaultResponder = script.Respond;
        script.HangSearchOnce("fencing tokens");
        var settings = RunSettings(model);
        await using var first = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var second = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        const string SessionId = "kill9-specialist";
        var runId = RunIds.Format(SessionId, 1);
        var victimRun = $"{runId}.1.1~1";
        using (var direct = new HttpClient { BaseAddress = first.Address })
        using (var created = await direct.PostAsJsonAsync("/v1/sessions", new { agent = "research", sessionId = SessionId }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // Usually the process called; a process that has just started may claim a session whose
        // first message is in flight. The manager's process is whichever owns it.
        var managerAddress = (string?)await storage.ScalarAsync($"SELECT s.address FROM activations a JOIN silos s ON s.silo_id = a.silo_id WHERE a.grain_id = 'agent-session/{SessionId}'");
        var (managers, specialists) = first.Address.ToString().TrimEnd('/') == managerAddress?.TrimEnd('/') ? (first, second) : (second, first);
        using var toManagers = new HttpClient { BaseAddress = managers.Address, Timeout = TimeSpan.FromSeconds(60) };
        using var toSpecialists = new HttpClient { BaseAddress = specialists.Address };

        using (var placed = await toSpecialists.GetAsync($"/v1/runs/{victimRun}", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, placed.StatusCode);
        }

        var placedOn = await storage.ScalarAsync($"SELECT s.address FROM activations a JOIN silos s ON s.silo_id = a.silo_id WHERE a.grain_id = 'agent-session/{runId}.1.1'");
        Assert.Equal(specialists.Address.ToString().TrimEnd('/'), (placedOn as string)?.TrimEnd('/'));
        using (var accepted = await toManagers.PostAsJsonAsync($"/v1/sessions/{SessionId}/messages?wait=false", new { text = ResearchModelScript.Question }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        await Eventually.TrueAsync(() => Task.FromResult(SearchRequests(model, "fencing tokens") == 1), TimeSpan.FromSeconds(60), "the second searcher's model call is in flight on the other process");

        specialists.Kill();
        var run = await WaitForRunAsync(toManagers, runId, TimeSpan.FromSeconds(90));

        Assert.True(run.GetProperty("status").GetString() == "completed", $"{run}\n{managers.Output}");
        Assert.Equal(ResearchModelScript.Report, run.GetProperty("reply").GetString());
        Assert.Equal([$"{runId}.1.0~1", victimRun, $"{runId}.2.0~1"], run.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("runId").GetString()));
        // The only survivor now holds every specialist session, the killed one's included.
        var managerSilo = run.GetProperty("silo").GetString();
        Assert.All(run.GetProperty("children").EnumerateArray(), c => Assert.Equal((managerSilo, "completed"), (c.GetProperty("silo").GetString(), c.GetProperty("status").GetString())));
        // One specialist run per call; the killed one asked the model again on its new owner.
        Assert.Equal(3L, Convert.ToInt64(await storage.ScalarAsync($"SELECT count(*) FROM grain_log WHERE stream = 'runs' AND grain_id LIKE 'agent-session/{runId}.%'"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((1, 2), (SearchRequests(model, "idempotency keys"), SearchRequests(model, "fencing tokens")));
    }

    private static int SearchRequests(FakeOpenAIServer model, string query) =>
        model.Requests.Count(r => ResearchModelScript.Agent(r) == "searcher" && r.Messages.All(m => m.Role != "tool") && r.Messages[^1].Content!.Contains(query, StringComparison.Ordinal));

    private static async Task<JsonElement> WaitForRunAsync(HttpClient http, string runId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync($"/v1/runs/{runId}", Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                last = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                if (RunStatus.IsTerminal(last.GetProperty("status").GetString()!))
                {
                    return last;
                }
            }

            await Task.Delay(100, Ct);
        }

        throw new TimeoutException($"Run {runId} did not end within {timeout.TotalSeconds} s; last seen {last}.");
    }

    /// <summary>Two silo processes with fast failure detection and reminders, on the fake OpenAI server.</summary>
    private Dictionary<string, string?> RunSettings(FakeOpenAIServer model) => new(storage.Settings.Concat(model.ModelSettings))
    {
        ["Silo:HeartbeatInterval"] = "00:00:00.500",
        ["Silo:DeathTimeout"] = "00:00:03",
        ["Silo:ReminderPollInterval"] = "00:00:00.200",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary><see cref="RunSettings"/> plus the <c>payer</c> agent and its <c>notify</c> tool, from configuration only.</summary>
    private Dictionary<string, string?> PayerSettings(FakeOpenAIServer model, WebhookReceiver receiver)
    {
        var settings = RunSettings(model);
        settings["Tools:Notify:Url"] = receiver.Url.ToString();
        settings["Agents:payer:Instructions"] = "You capture payments and notify billing of each one.";
        settings["Agents:payer:Tools:0"] = WebhookTool.Name;
        settings["Agents:payer:WatchdogPeriod"] = "00:00:01";
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

    /// <summary>Starts two silo processes, creates the session with the <c>payer</c> agent and submits a message on the process that owns it.</summary>
    private async Task<TwoSilos> StartPayerRunAsync(Dictionary<string, string?> settings, string sessionId)
    {
        var first = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        NodeProcess? second = null;
        TwoSilos? silos = null;
        try
        {
            second = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
            using (var direct = new HttpClient { BaseAddress = first.Address })
            using (var created = await direct.PostAsJsonAsync("/v1/sessions", new { agent = "payer", sessionId }, Ct))
            {
                Assert.True(created.StatusCode == HttpStatusCode.Created, $"creating session {sessionId} with the configured agent: {created.StatusCode} {await created.Content.ReadAsStringAsync(Ct)}\n{first.Output}");
            }

            var (owner, other) = await OwnerAndOtherAsync(sessionId, first, second);
            silos = new TwoSilos(owner, other);
            using var accepted = await silos.ToOwner.PostAsJsonAsync($"/v1/sessions/{sessionId}/messages?wait=false", new { text = "capture p-42 and notify billing" }, Ct);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            silos.RunId = (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("runId").GetString()!;
            return silos;
        }
        catch
        {
            if (silos is not null)
            {
                await silos.DisposeAsync();
            }
            else
            {
                await first.DisposeAsync();
                if (second is not null)
                {
                    await second.DisposeAsync();
                }
            }

            throw;
        }
    }

    /// <summary>The call is in flight on the owner with its reply already journaled: the owner answers reads between steps and shows it pending with its key.</summary>
    private static async Task AssertCallInFlightOnTheOwnerAsync(TwoSilos silos, string key)
    {
        using var inFlight = await silos.ToOwner.GetAsync($"/v1/runs/{silos.RunId}", Ct);
        var view = await inFlight.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(RunStatus.Running, view.GetProperty("status").GetString());
        var call = Assert.Single(Assert.Single(view.GetProperty("steps").EnumerateArray()).GetProperty("toolCalls").EnumerateArray());
        Assert.Equal(
            (WebhookTool.Name, ToolCallStatus.Pending, $"{silos.RunId}:1:0"),
            (call.GetProperty("name").GetString(), call.GetProperty("status").GetString(), call.GetProperty("idempotencyKey").GetString()));
        Assert.Equal($"{silos.RunId}:1:0", key);
    }

    /// <summary>Approves a call through the other process's gateway, retrying 503/504 (the session not taken over yet) with one Idempotency-Key.</summary>
    private static async Task<JsonElement> ApproveAsync(TwoSilos silos, string callId, string idempotencyKey)
    {
        var tries = new List<string>();
        JsonElement decided = default;
        try
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/runs/{silos.RunId}/approvals/{callId}") { Content = JsonContent.Create(new { approve = true }) };
                    request.Headers.Add("Idempotency-Key", idempotencyKey);
                    using var response = await silos.ToOther.SendAsync(request, Ct);
                    var body = await response.Content.ReadAsStringAsync(Ct);
                    tries.Add($"{(int)response.StatusCode}");
                    if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
                    {
                        return false;
                    }

                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"approving {callId} of {silos.RunId} through {silos.Other.Address}: {response.StatusCode} {body}\n{silos.Other.Output}");
                    decided = JsonDocument.Parse(body).RootElement.Clone();
                    return true;
                },
                TimeSpan.FromSeconds(90),
                $"approving {callId} of {silos.RunId} through {silos.Other.Address} succeeded once the dead owner's session was taken over");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Answers: [{string.Join(", ", tries)}]\n{silos.Other.Output}", ex);
        }

        return decided;
    }

    /// <summary>The run completed with the tool result in its reply, on the other process, which now holds the session.</summary>
    private async Task AssertCompletedOnTheOtherProcessAsync(TwoSilos silos, string sessionId)
    {
        var run = await WaitForRunAsync(silos.ToOther, silos.Other, silos.RunId, RunStatus.IsTerminal, "ended on the surviving silo process");
        Assert.Equal((RunStatus.Completed, "done: " + Sent), (run.GetProperty("status").GetString(), run.GetProperty("reply").GetString()));
        var placed = await storage.ScalarAsync($"SELECT s.address FROM activations a JOIN silos s ON s.silo_id = a.silo_id WHERE a.grain_id = 'agent-session/{sessionId}'");
        Assert.Equal(silos.Other.Address.ToString().TrimEnd('/'), (placed as string)?.TrimEnd('/'));
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

        using var events = await silos.ToOther.GetAsync($"/v1/runs/{silos.RunId}/events", Ct);
        var types = (await events.Content.ReadAsStringAsync(Ct)).Split('\n')
            .Where(static line => line.StartsWith("event: ", StringComparison.Ordinal))
            .Select(static line => line["event: ".Length..])
            .ToList();
        Assert.Equal(expectedEvents, types);
    }

    /// <summary>Polls <c>GET /v1/runs/{runId}</c> until its status satisfies <paramref name="until"/>; returns that view.</summary>
    private static async Task<JsonElement> WaitForRunAsync(HttpClient http, NodeProcess process, string runId, Func<string, bool> until, string expectation)
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

                    run = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                    last = run.GetProperty("status").GetString()!;
                    return until(last);
                },
                TimeSpan.FromSeconds(60),
                $"run {runId} {expectation}");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen at {process.Address}: {last}\n{process.Output}", ex);
        }

        return run;
    }

    private static async Task<List<JsonElement>> HistoryAsync(HttpClient http, string sessionId)
    {
        using var session = await http.GetAsync($"/v1/sessions/{sessionId}", Ct);
        Assert.True(session.StatusCode == HttpStatusCode.OK, $"GET session {sessionId} at {http.BaseAddress}: {session.StatusCode}");
        return [.. (await session.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("history").EnumerateArray()];
    }

    /// <summary>How many times each step of each conversation was requested from the model: (step, count), ordered.</summary>
    private static List<(int Step, int Count)> RequestsPerStep(FakeOpenAIServer model) =>
        [.. model.Requests.GroupBy(ToolScriptResponder.Conversation).Select(static g => (ToolScriptResponder.StepOf(g.First()), g.Count())).Order()];

    /// <summary>The process whose silo holds the session's activation (from the <c>activations</c> table), and the other one.</summary>
    private async Task<(NodeProcess Owner, NodeProcess Other)> OwnerAndOtherAsync(string sessionId, NodeProcess first, NodeProcess second)
    {
        var placed = ((await storage.ScalarAsync($"SELECT s.address FROM activations a JOIN silos s ON s.silo_id = a.silo_id WHERE a.grain_id = 'agent-session/{sessionId}'")) as string)?.TrimEnd('/');
        foreach (var (candidate, other) in new[] { (first, second), (second, first) })
        {
            if (placed == candidate.Address.ToString().TrimEnd('/'))
            {
                return (candidate, other);
            }
        }

        throw new Xunit.Sdk.XunitException($"session {sessionId} is activated at '{placed ?? "nowhere"}', not at {first.Address} or {second.Address}");
    }

    /// <summary>The owner of a session and the other silo process, with an HTTP client to each; disposing kills both.</summary>
    private sealed class TwoSilos(NodeProcess owner, NodeProcess other) : IAsyncDisposable
    {
        public NodeProcess Owner { get; } = owner;

        public NodeProcess Other { get; } = other;

        public HttpClient ToOwner { get; } = new() { BaseAddress = owner.Address, Timeout = TimeSpan.FromSeconds(30) };

        // Longer than Silo:ResponseTimeout, so a call waiting in a dead silo's inbox ends in a 504 rather than here.
        public HttpClient ToOther { get; } = new() { BaseAddress = other.Address, Timeout = TimeSpan.FromSeconds(75) };

        public string RunId { get; set; } = string.Empty;

        public async ValueTask DisposeAsync()
        {
            ToOwner.Dispose();
            ToOther.Dispose();
            await Owner.DisposeAsync();
            await Other.DisposeAsync();
        }
    }
}
