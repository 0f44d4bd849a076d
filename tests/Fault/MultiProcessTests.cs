using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Fault;

/// <summary>Silos and a standalone gateway as separate OS processes over one PostgreSQL database.</summary>
[Trait("Category", "Fault")]
[Trait("Provider", "Postgres")]
public sealed class MultiProcessTests : IAsyncLifetime
{
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
        var settings = new Dictionary<string, string?>(storage.Settings)
        {
            ["Silo:HeartbeatInterval"] = "00:00:00.500",
            ["Silo:DeathTimeout"] = "00:00:03",
            ["Silo:ReminderPollInterval"] = "00:00:00.200",
            ["Model:Provider"] = "OpenAI",
            ["Model:Name"] = "test-model",
            ["Model:BaseUrl"] = model.BaseUrl.ToString(),
            ["Model:ApiKey"] = "test",
            ["Logging:LogLevel:Default"] = "Warning",
        };
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
        JsonElement run = default;
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await toSurvivor.GetAsync($"/v1/runs/{runId}", Ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                run = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                return RunStatus.IsTerminal(run.GetProperty("status").GetString()!);
            },
            TimeSpan.FromSeconds(60),
            $"run {runId} ended on the surviving silo process\n{survivor.Output}");

        Assert.Equal((RunStatus.Completed, "done: 42"), (run.GetProperty("status").GetString(), run.GetProperty("reply").GetString()));
        using var session = await toSurvivor.GetAsync($"/v1/sessions/{SessionId}", Ct);
        var history = (await session.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "tool", "assistant"], history.Select(e => e.GetProperty("role").GetString()));
        Assert.Equal(("call_1", "42"), (history[2].GetProperty("toolCallId").GetString(), history[2].GetProperty("content").GetString()));
        // Step 1 was asked once; step 2 twice: the request the kill cut short, and the resumed one.
        var requests = model.Requests.GroupBy(ToolScriptResponder.Conversation).Select(g => (ToolScriptResponder.StepOf(g.First()), g.Count())).Order().ToList();
        Assert.Equal([(1, 1), (2, 2)], requests);
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
        await using var model = await FakeOpenAIServer.StartAsync();
        var usage = new FakeUsage(100, 10);
        // Deterministic by conversation: step 1 asks for one notification, step 2 reports the tool result.
        model.DefaultResponder = request => ToolScriptResponder.StepOf(request) == 1
            ? FakeResponse.Call(WebhookTool.Name, """{"message":"payment p-42 captured","channel":"billing"}""", "call_1", usage)
            : FakeResponse.Text("done: " + string.Join(" | ", request.Messages.Where(static m => m.Role == "tool").Select(static m => m.Content)), usage);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.HoldFirstAttempt = true;
        var settings = new Dictionary<string, string?>(storage.Settings)
        {
            ["Silo:HeartbeatInterval"] = "00:00:00.500",
            ["Silo:DeathTimeout"] = "00:00:03",
            ["Silo:ReminderPollInterval"] = "00:00:00.200",
            ["Model:Provider"] = "OpenAI",
            ["Model:Name"] = "test-model",
            ["Model:BaseUrl"] = model.BaseUrl.ToString(),
            ["Model:ApiKey"] = "test",
            ["Tools:Notify:Url"] = receiver.Url.ToString(),
            ["Agents:payer:Instructions"] = "You capture payments and notify billing of each one.",
            ["Agents:payer:Tools:0"] = WebhookTool.Name,
            ["Agents:payer:WatchdogPeriod"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        await using var first = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var second = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        const string SessionId = "kill9-notify";
        using (var direct = new HttpClient { BaseAddress = first.Address })
        using (var created = await direct.PostAsJsonAsync("/v1/sessions", new { agent = "payer", sessionId = SessionId }, Ct))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"creating session {SessionId} with the configured agent: {created.StatusCode} {await created.Content.ReadAsStringAsync(Ct)}\n{first.Output}");
        }

        var (owner, survivor) = await OwnerAndOtherAsync(SessionId, first, second);
        using var toOwner = new HttpClient { BaseAddress = owner.Address, Timeout = TimeSpan.FromSeconds(30) };
        using var toSurvivor = new HttpClient { BaseAddress = survivor.Address, Timeout = TimeSpan.FromSeconds(60) };
        using var accepted = await toOwner.PostAsJsonAsync($"/v1/sessions/{SessionId}/messages?wait=false", new { text = "capture p-42 and notify billing" }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("runId").GetString()!;
        var key = await receiver.WaitUntilHeldAsync(TimeSpan.FromSeconds(60));

        // The call is in flight on the owner and its reply is already journaled: the owner answers
        // reads between steps, and shows the call pending with the key the receiver got.
        using (var inFlight = await toOwner.GetAsync($"/v1/runs/{runId}", Ct))
        {
            var view = await inFlight.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(RunStatus.Running, view.GetProperty("status").GetString());
            var call = Assert.Single(Assert.Single(view.GetProperty("steps").EnumerateArray()).GetProperty("toolCalls").EnumerateArray());
            Assert.Equal(
                (WebhookTool.Name, ToolCallStatus.Pending, $"{runId}:1:0"),
                (call.GetProperty("name").GetString(), call.GetProperty("status").GetString(), call.GetProperty("idempotencyKey").GetString()));
        }

        Assert.Equal($"{runId}:1:0", key);
        Assert.Single(model.Requests);

        owner.Kill();
        receiver.ReleaseHeld();
        // No request to the session: its watchdog reminder brings the run back on the survivor,
        // which invokes the call again because its result was never journaled.
        await receiver.WaitForAttemptsAsync(2, TimeSpan.FromSeconds(60));
        JsonElement run = default;
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await toSurvivor.GetAsync($"/v1/runs/{runId}", Ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                run = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                return RunStatus.IsTerminal(run.GetProperty("status").GetString()!);
            },
            TimeSpan.FromSeconds(60),
            $"run {runId} ended on the surviving silo process\n{survivor.Output}");

        const string Sent = "notification sent (HTTP 200).";
        Assert.Equal((RunStatus.Completed, "done: " + Sent), (run.GetProperty("status").GetString(), run.GetProperty("reply").GetString()));
        var placed = await storage.ScalarAsync($"SELECT s.address FROM activations a JOIN silos s ON s.silo_id = a.silo_id WHERE a.grain_id = 'agent-session/{SessionId}'");
        Assert.Equal(survivor.Address.ToString().TrimEnd('/'), (placed as string)?.TrimEnd('/'));

        // Two attempts with one key, one effect: the first applied it, the second was deduplicated.
        Assert.Equal([key, key], receiver.Attempts.Select(static a => a.Key));
        var effect = Assert.Single(receiver.Effects);
        Assert.Equal(key, effect.Key);
        using (var payload = JsonDocument.Parse(effect.Value))
        {
            Assert.Equal(
                ("payment p-42 captured", "billing", SessionId, runId),
                (payload.RootElement.GetProperty("message").GetString(), payload.RootElement.GetProperty("channel").GetString(),
                 payload.RootElement.GetProperty("sessionId").GetString(), payload.RootElement.GetProperty("runId").GetString()));
        }

        var finalCall = Assert.Single(Assert.Single(run.GetProperty("steps").EnumerateArray(), s => s.GetProperty("step").GetInt32() == 1).GetProperty("toolCalls").EnumerateArray());
        Assert.Equal((ToolCallStatus.Succeeded, key), (finalCall.GetProperty("status").GetString(), finalCall.GetProperty("idempotencyKey").GetString()));

        using var session = await toSurvivor.GetAsync($"/v1/sessions/{SessionId}", Ct);
        var history = (await session.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "tool", "assistant"], history.Select(static e => e.GetProperty("role").GetString()));
        var requested = Assert.Single(history[1].GetProperty("toolCalls").EnumerateArray());
        Assert.Equal(("call_1", WebhookTool.Name), (requested.GetProperty("id").GetString(), requested.GetProperty("name").GetString()));
        Assert.Equal(("call_1", Sent), (history[2].GetProperty("toolCallId").GetString(), history[2].GetProperty("content").GetString()));
        Assert.Equal("done: " + Sent, history[3].GetProperty("content").GetString());

        // Step 1 was journaled before the tool started, so the new owner reused it: each step asked once.
        var requests = model.Requests.GroupBy(ToolScriptResponder.Conversation).Select(static g => (ToolScriptResponder.StepOf(g.First()), g.Count())).Order().ToList();
        Assert.Equal([(1, 1), (2, 1)], requests);

        // The journal tells the same story: one reply, the resume on the new owner, one tool result, the final reply.
        using var events = await toSurvivor.GetAsync($"/v1/runs/{runId}/events", Ct);
        var types = (await events.Content.ReadAsStringAsync(Ct)).Split('\n')
            .Where(static line => line.StartsWith("event: ", StringComparison.Ordinal))
            .Select(static line => line["event: ".Length..])
            .ToList();
        Assert.Equal(
            [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.Resumed, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished],
            types);
    }

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
}
