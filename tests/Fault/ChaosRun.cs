using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.Grains.Showcase;
using AgentGrains.Grains.Tools;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Fault;

/// <summary>How long and how hard <see cref="ChaosRun"/> shakes the cluster.</summary>
public sealed record ChaosPlan
{
    /// <summary>Concurrent clients, each sending one message at a time.</summary>
    public int Clients { get; init; } = 6;

    /// <summary>Sessions per client; its messages go to them in turn.</summary>
    public int SessionsPerClient { get; init; } = 2;

    /// <summary>Load before the first fault.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How many silo processes are killed (SIGKILL), one every <see cref="KillInterval"/>, each restarted at once.</summary>
    public int Kills { get; init; } = 3;

    /// <summary>Time between two kills.</summary>
    public TimeSpan KillInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long PostgreSQL, then Redis, stays down; and the load between the fault phases and after the last.</summary>
    public TimeSpan Downtime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Load between the fault phases and after the last fault.</summary>
    public TimeSpan Pause { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How long after the faults stop every acknowledged run must have reached a terminal status.</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a client retries one message (503, 504, connection errors, its own timeout) before it gives up.</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Picks the silo of each kill; printed, so a run can be repeated.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The folder of the silo executable (<see cref="NodeProcess.SiloAssembly"/>).</summary>
    public string SiloDirectory { get; init; } = AppContext.BaseDirectory;
}

/// <summary>
/// Three silo processes over a throwaway PostgreSQL and Redis under a steady load of agent runs sent
/// through their gateways, while silos are killed with SIGKILL and restarted, then PostgreSQL and then
/// Redis are restarted; afterwards every acknowledged message is checked.
/// </summary>
/// <remarks>
/// <para>Each message runs the <see cref="Agent"/> agent: step 1 calls the side-effecting <c>notify</c>
/// webhook and the <c>analyst</c> specialist (a run of its own) in one reply, step 2 answers. The
/// webhook receiver deduplicates nothing: it records every request with its <c>Idempotency-Key</c>,
/// so each tool call's effects are counted.</para>
/// <para>Clients send each message with its own <c>Idempotency-Key</c> and, like a real client behind
/// a load balancer, retry 503, 504, connection errors and their own timeouts with the same key through
/// the next silo, until <see cref="ChaosPlan.RetryBudget"/> runs out. Anything else is a
/// client-visible error at once.</para>
/// </remarks>
public static class ChaosRun
{
    /// <summary>The agent every message runs.</summary>
    public const string Agent = "chaos";

    private const string Instructions = "You tell the team about each message with the notify tool and have the analyst look at it, then sum up.";
    private const int Silos = 3;

    /// <summary>Runs the plan; <paramref name="log"/> gets the timeline as it happens. Every process and server started is stopped before it returns or throws.</summary>
    public static async Task<ChaosReport> RunAsync(ChaosPlan plan, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        var timeline = new ConcurrentQueue<string>();
        void Note(string line)
        {
            var stamped = string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds,6:0.0} s  {line}");
            timeline.Enqueue(stamped);
            log(stamped);
        }

        TestPostgresServer? postgres = null;
        RedisServer? redis = null;
        FakeOpenAIServer? model = null;
        WebhookReceiver? receiver = null;
        var silos = new NodeProcess?[Silos];
        var retired = new ConcurrentBag<NodeProcess>();
        try
        {
            postgres = await TestPostgresServer.StartAsync();
            redis = await RedisServer.StartThrowawayAsync(persistent: true);
            model = await FakeOpenAIServer.StartAsync();
            model.DefaultResponder = Respond;
            receiver = await WebhookReceiver.StartAsync();
            var settings = new Dictionary<string, string?>(model.ModelSettings)
            {
                ["Storage:Provider"] = "PostgreSQL",
                ["ConnectionStrings:AgentGrains"] = postgres.ConnectionString,
                ["Storage:Schema"] = "chaos",
                ["Cluster:Provider"] = "Redis",
                ["ConnectionStrings:Redis"] = redis.ConnectionString,
                ["Orleans:ClusterId"] = "chaos",
                ["Orleans:ServiceId"] = "chaos",
                ["Orleans:AdvertisedIP"] = "127.0.0.1",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Tools:Notify:Url"] = receiver.Url.ToString(),
                // The receiver listens on loopback, which notify refuses unless private networks are allowed.
                ["Tools:Notify:AllowPrivateNetworks"] = "true",
                [$"Agents:{Agent}:Instructions"] = Instructions,
                [$"Agents:{Agent}:Tools:0"] = WebhookTool.Name,
                [$"Agents:{Agent}:Specialists:0"] = ShowcaseAgents.AnalystName,
                // A run whose silo died resumes on another at its watchdog's next tick.
                [$"Agents:{Agent}:WatchdogPeriod"] = "00:00:01",
            };

            // The first silo applies the migrations alone; the other two join together.
            silos[0] = await NodeProcess.StartSiloAsync("silo 1", settings, plan.SiloDirectory, cancellationToken);
            var joining = await Task.WhenAll(Enumerable.Range(1, Silos - 1).Select(i => NodeProcess.StartSiloAsync($"silo {i + 1}", settings, plan.SiloDirectory, cancellationToken)));
            joining.CopyTo(silos, 1);
            Note($"3 silos up (PostgreSQL {postgres.ConnectionString.Split(';').First(p => p.StartsWith("Port", StringComparison.OrdinalIgnoreCase))}, Redis {redis.ConnectionString}); seed {plan.Seed}");

            using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
            {
                // Beyond the gateway's own bound on a message (Gateway:MaxReplyWait, 30 s, then 202 or a problem).
                Timeout = TimeSpan.FromSeconds(45),
            };
            Uri Address(int i) => Volatile.Read(ref silos[((i % Silos) + Silos) % Silos])!.Address;

            var sessions = new string[plan.Clients * plan.SessionsPerClient];
            for (var i = 0; i < sessions.Length; i++)
            {
                sessions[i] = $"chaos-{i.ToString(CultureInfo.InvariantCulture)}";
                using var created = await http.PostAsJsonAsync(new Uri(Address(i), "/v1/sessions"), new { agent = Agent, sessionId = sessions[i] }, cancellationToken);
                if (created.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"Creating session {sessions[i]}: HTTP {(int)created.StatusCode} {await created.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }

            var load = new Load(plan, http, Address, clock);
            using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var clients = Enumerable.Range(0, plan.Clients)
                .Select(c => Task.Run(() => load.ClientAsync(c, sessions.Skip(c * plan.SessionsPerClient).Take(plan.SessionsPerClient).ToArray(), stopLoad.Token), cancellationToken))
                .ToArray();
            var loadStarted = clock.Elapsed;
            Note($"load: {plan.Clients} clients over {sessions.Length} sessions");

            // The faults.
            var random = new Random(plan.Seed);
            var kills = new List<TimeSpan>();
            for (var k = 0; k < plan.Kills; k++)
            {
                // Every KillInterval from the first kill, however long the restarts take.
                var due = loadStarted + plan.WarmUp + (plan.KillInterval * k);
                if (clock.Elapsed < due)
                {
                    await Task.Delay(due - clock.Elapsed, cancellationToken);
                }

                var index = random.Next(Silos);
                var victim = silos[index]!;
                victim.Kill();
                retired.Add(victim);
                kills.Add(clock.Elapsed);
                Note($"kill -9 {victim.Name} (silo port {victim.SiloPort}); {load.Acknowledged} acknowledged so far");
                var restarted = await NodeProcess.StartSiloAsync($"{victim.Name.Split(' ')[0]} {index + 1}", settings, plan.SiloDirectory, cancellationToken);
                Volatile.Write(ref silos[index], restarted);
                Note($"silo {index + 1} restarted (silo port {restarted.SiloPort}, HTTP {restarted.Address.Port})");
            }

            await Task.Delay(plan.Pause, cancellationToken);
            postgres.Halt();
            Note("PostgreSQL stopped (pg_ctl stop -m immediate)");
            await Task.Delay(plan.Downtime, cancellationToken);
            await postgres.ResumeAsync();
            Note("PostgreSQL started again (same port and data folder)");

            await Task.Delay(plan.Pause, cancellationToken);
            await redis.HaltAsync();
            Note("Redis killed (SIGKILL)");
            await Task.Delay(plan.Downtime, cancellationToken);
            await redis.ResumeAsync();
            Note("Redis started again (same port, its append-only file)");

            await Task.Delay(plan.Pause, cancellationToken);
            var faultsEnded = clock.Elapsed;
            var faultsEndedAt = DateTimeOffset.UtcNow;
            await stopLoad.CancelAsync();
            Note($"faults over; load stopping ({load.Acknowledged} acknowledged)");
            await Task.WhenAll(clients);
            var loadEnded = clock.Elapsed;
            Note($"load stopped: {load.Acknowledged} acknowledged, {load.Errors.Count} client-visible errors");

            var check = new Check(http, Address, cancellationToken);
            var settled = await check.SettleAsync(load.Acks.Values.Select(static a => a.RunId), faultsEnded + plan.SettleTimeout - clock.Elapsed);
            Note($"settled: {settled.Views.Count} of {load.Acknowledged} runs terminal, {settled.Stuck.Count} not");
            var report = await check.VerifyAsync(load, sessions, settled, receiver);
            return report with
            {
                SiloFailures = Failures(silos.Concat(retired).OfType<NodeProcess>().Distinct()),
                Seed = plan.Seed,
                Kills = kills.Count,
                LoadSeconds = (loadEnded - loadStarted).TotalSeconds,
                // When the last run ended, by its own record, after the faults ended (0: all had ended by then).
                SettledAfterSeconds = settled.Views.Values
                    .Select(static v => v.GetProperty("endedAt").GetDateTimeOffset())
                    .Select(ended => Math.Max(0, (ended - faultsEndedAt).TotalSeconds))
                    .DefaultIfEmpty(0)
                    .Max(),
                SettleBoundSeconds = plan.SettleTimeout.TotalSeconds,
                Timeline = [.. timeline],
                ModelRequests = model.Requests.Count,
            };
        }
        finally
        {
            foreach (var silo in silos.Concat(retired).OfType<NodeProcess>().Distinct())
            {
                await silo.DisposeAsync();
            }

            if (receiver is not null)
            {
                await receiver.DisposeAsync();
            }

            if (model is not null)
            {
                await model.DisposeAsync();
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }

            if (postgres is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await postgres.DisposeAsync();
            }
        }
    }

    /// <summary>The distinct errors the silos logged (<c>fail:</c> entries with their exception), up to ten, for a report that shows client-visible errors.</summary>
    private static List<string> Failures(IEnumerable<NodeProcess> processes)
    {
        var seen = new Dictionary<string, (string Block, int Count)>(StringComparer.Ordinal);
        foreach (var process in processes)
        {
            var lines = process.Output.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (!lines[i].StartsWith("fail:", StringComparison.Ordinal))
                {
                    continue;
                }

                var block = lines.Skip(i).Take(1).Concat(lines.Skip(i + 1).TakeWhile(static l => l.StartsWith(' ')).Take(25)).ToList();
                // The same failure told apart by its category and first exception line, not by its ids.
                var signature = lines[i] + "|" + (block.FirstOrDefault(static l => l.Contains("Exception", StringComparison.Ordinal)) ?? string.Empty);
                seen[signature] = seen.TryGetValue(signature, out var known)
                    ? (known.Block, known.Count + 1)
                    : ($"{process.Name}:\n{string.Join("\n", block)}", 1);
            }
        }

        return [.. seen.Values.OrderByDescending(static v => v.Count).Take(10).Select(static v => $"× {v.Count} {v.Block}")];
    }

    /// <summary>The model, deterministic by conversation: the chaos agent's step 1 calls notify and the analyst, its step 2 sums up; the analyst answers at once.</summary>
    private static FakeResponse Respond(FakeChatRequest request)
    {
        var system = request.Messages[0].Content ?? string.Empty;
        var user = LastUser(request);
        var text = request.Messages[user].Content ?? string.Empty;
        if (system.StartsWith(ShowcaseAgents.Analyst.Instructions, StringComparison.Ordinal))
        {
            var question = JsonNode.Parse(text)?["question"]?.GetValue<string>() ?? "?";
            return FakeResponse.Text($"analysis of {question}");
        }

        var results = request.Messages.Skip(user + 1).Where(static m => m.Role == "tool").Select(static m => m.Content).ToList();
        if (results.Count > 0)
        {
            return FakeResponse.Text("done: " + string.Join(" | ", results));
        }

        var notify = new JsonObject { ["message"] = text, ["channel"] = "chaos" };
        var analysis = new JsonObject
        {
            ["question"] = text,
            ["findings"] = new JsonArray(new JsonObject { ["documentId"] = "chaos", ["title"] = "Chaos", ["excerpt"] = text }),
        };
        return FakeResponse.Calls(
        [
            new FakeToolCall(WebhookTool.Name, notify.ToJsonString(), "call_1"),
            new FakeToolCall(ShowcaseAgents.AnalystName, analysis.ToJsonString(), "call_2"),
        ]);
    }

    private static int LastUser(FakeChatRequest request)
    {
        for (var i = request.Messages.Count - 1; i >= 0; i--)
        {
            if (request.Messages[i].Role == "user")
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Model request {request.Number} has no user message.");
    }

    /// <summary>A message a silo acknowledged (2xx with a run id).</summary>
    internal sealed record Ack(string Key, string Session, string Text, string RunId, bool Completed, int Attempts, TimeSpan Took);

    /// <summary>The clients: each sends one message at a time to its sessions in turn until the load stops.</summary>
    internal sealed class Load(ChaosPlan plan, HttpClient http, Func<int, Uri> address, Stopwatch clock)
    {
        public ConcurrentDictionary<string, Ack> Acks { get; } = new(StringComparer.Ordinal);

        /// <summary>Every message sent: key → (session, text).</summary>
        public ConcurrentDictionary<string, (string Session, string Text)> Sent { get; } = new(StringComparer.Ordinal);

        /// <summary>Requests that failed for good: key → kind.</summary>
        public ConcurrentDictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

        private int retries;

        public int Acknowledged => Acks.Count;

        public int Retries => Volatile.Read(ref retries);

        public async Task ClientAsync(int client, string[] sessions, CancellationToken stop)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = string.Create(CultureInfo.InvariantCulture, $"c{client}-m{i}");
                var session = sessions[i % sessions.Length];
                var text = $"chaos message {key}";
                Sent[key] = (session, text);
                // The message is sent to its end even when the load stops meanwhile: a client does not drop a request half-way.
                await SendAsync(client + i, key, session, text);
            }
        }

        private async Task SendAsync(int first, string key, string session, string text)
        {
            var started = clock.Elapsed;
            string last;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address(first + attempt - 1), $"/v1/sessions/{session}/messages"))
                    {
                        Content = JsonContent.Create(new { text }),
                    };
                    request.Headers.Add("Idempotency-Key", key);
                    using var response = await http.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted)
                    {
                        var runId = JsonDocument.Parse(body).RootElement.GetProperty("runId").GetString()!;
                        Acks[key] = new Ack(key, session, text, runId, response.StatusCode == HttpStatusCode.OK, attempt, clock.Elapsed - started);
                        return;
                    }

                    if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
                    {
                        Errors[key] = $"HTTP {(int)response.StatusCode} {Title(body)}";
                        return;
                    }

                    last = $"HTTP {(int)response.StatusCode} {Title(body)}";
                }
                catch (HttpRequestException ex)
                {
                    last = ex.HttpRequestError switch
                    {
                        HttpRequestError.ConnectionError => "connection refused",
                        HttpRequestError.ResponseEnded => "connection closed mid-request",
                        var other => $"HTTP client: {other}",
                    };
                }
                catch (TaskCanceledException)
                {
                    last = "client timeout (45 s)";
                }

                if (clock.Elapsed - started > plan.RetryBudget)
                {
                    Errors[key] = $"gave up after {attempt} attempts, last: {last}";
                    return;
                }

                Interlocked.Increment(ref retries);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * (1 << Math.Min(attempt, 5)))));
            }
        }

        private static string Title(string body)
        {
            try
            {
                return JsonDocument.Parse(body).RootElement.TryGetProperty("title", out var title) ? $"({title.GetString()})" : string.Empty;
            }
            catch (JsonException)
            {
                return string.Empty;
            }
        }
    }

    /// <summary>The runs' views once terminal, those that were not within the bound, and when the last became terminal.</summary>
    internal sealed record Settled(Dictionary<string, JsonElement> Views, Dictionary<string, string> Stuck);

    /// <summary>Reads the cluster after the faults, retrying reads that meet a silo still recovering.</summary>
    private sealed class Check(HttpClient http, Func<int, Uri> address, CancellationToken cancellationToken)
    {
        private int next;

        public async Task<Settled> SettleAsync(IEnumerable<string> runIds, TimeSpan bound)
        {
            var clock = Stopwatch.StartNew();
            var pending = runIds.ToHashSet(StringComparer.Ordinal);
            var views = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            var stuck = new Dictionary<string, string>(StringComparer.Ordinal);
            while (pending.Count > 0)
            {
                foreach (var batch in pending.ToList().Chunk(16))
                {
                    var seen = await Task.WhenAll(batch.Select(async runId => (runId, view: await TryGetAsync($"/v1/runs/{runId}"))));
                    foreach (var (runId, view) in seen)
                    {
                        if (view is { } run && RunStatus.IsTerminal(run.GetProperty("status").GetString() ?? string.Empty))
                        {
                            views[runId] = run;
                            pending.Remove(runId);
                        }
                        else
                        {
                            stuck[runId] = view is { } running ? running.GetProperty("status").GetString() ?? "?" : "no answer";
                        }
                    }
                }

                foreach (var runId in views.Keys)
                {
                    stuck.Remove(runId);
                }

                if (pending.Count == 0 || clock.Elapsed > bound)
                {
                    break;
                }

                await Task.Delay(500, cancellationToken);
            }

            return new Settled(views, stuck);
        }

        public async Task<ChaosReport> VerifyAsync(Load load, string[] sessions, Settled settled, WebhookReceiver receiver)
        {
            var problems = new List<string>();
            // Per key: the user messages in the session's history and the runs whose input is the message.
            var inHistory = new Dictionary<string, int>(StringComparer.Ordinal);
            var runsOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var notTerminal = new List<string>();
            foreach (var session in sessions)
            {
                var view = await GetAsync($"/v1/sessions/{session}");
                foreach (var entry in view.GetProperty("history").EnumerateArray().Where(static e => e.GetProperty("role").GetString() == "user"))
                {
                    var content = entry.GetProperty("content").GetString() ?? string.Empty;
                    inHistory[content] = inHistory.GetValueOrDefault(content) + 1;
                }

                string? cursor = null;
                do
                {
                    var page = await GetAsync($"/v1/sessions/{session}/runs?limit=100{(cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor))}");
                    foreach (var run in page.GetProperty("runs").EnumerateArray())
                    {
                        var input = run.GetProperty("input").GetString() ?? string.Empty;
                        var runId = run.GetProperty("runId").GetString()!;
                        (runsOf.TryGetValue(input, out var list) ? list : runsOf[input] = []).Add(runId);
                        if (!RunStatus.IsTerminal(run.GetProperty("status").GetString() ?? string.Empty) && !settled.Stuck.ContainsKey(runId))
                        {
                            notTerminal.Add($"{runId} ({run.GetProperty("status").GetString()}, input '{input}')");
                        }
                    }

                    cursor = page.TryGetProperty("next", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                }
                while (cursor is not null);
            }

            var lost = new List<string>();
            foreach (var ack in load.Acks.Values.OrderBy(static a => a.Key, StringComparer.Ordinal))
            {
                var status = settled.Views.TryGetValue(ack.RunId, out var run) ? run.GetProperty("status").GetString() : settled.Stuck.GetValueOrDefault(ack.RunId, "unknown");
                if (status != RunStatus.Completed || inHistory.GetValueOrDefault(ack.Text) == 0 || !runsOf.ContainsKey(ack.Text))
                {
                    lost.Add($"{ack.Key} → {ack.RunId}: {status}, {inHistory.GetValueOrDefault(ack.Text)} in history, {runsOf.GetValueOrDefault(ack.Text)?.Count ?? 0} in the session's runs{(run.ValueKind == JsonValueKind.Object && run.TryGetProperty("reason", out var reason) ? $", reason {reason}" : string.Empty)}");
                }
            }

            var twice = new List<string>();
            foreach (var (key, (session, text)) in load.Sent.OrderBy(static s => s.Key, StringComparer.Ordinal))
            {
                var runs = runsOf.GetValueOrDefault(text) ?? [];
                var count = inHistory.GetValueOrDefault(text);
                if (runs.Count > 1 || count > 1 || (load.Acks.TryGetValue(key, out var ack) && runs.Count == 1 && runs[0] != ack.RunId))
                {
                    twice.Add($"{key} in {session}: {count} user messages, runs {string.Join(", ", runs)}{(load.Acks.TryGetValue(key, out var a) ? $", acknowledged as {a.RunId}" : string.Empty)}");
                }
            }

            var unacknowledgedProcessed = load.Sent.Count(s => !load.Acks.ContainsKey(s.Key) && (runsOf.GetValueOrDefault(s.Value.Text)?.Count ?? 0) > 0);

            // Tool effects: every notify call the completed runs journaled, against every request the webhook received.
            var calls = new Dictionary<string, string>(StringComparer.Ordinal);
            var specialistRuns = 0;
            var extraSpecialistRuns = new List<string>();
            foreach (var (runId, run) in settled.Views)
            {
                foreach (var call in run.GetProperty("steps").EnumerateArray().SelectMany(static s => s.GetProperty("toolCalls").EnumerateArray()))
                {
                    if (call.GetProperty("name").GetString() == WebhookTool.Name)
                    {
                        calls[call.GetProperty("idempotencyKey").GetString()!] = $"{runId} ({call.GetProperty("status").GetString()})";
                    }
                }

                if (run.TryGetProperty("children", out var children) && children.ValueKind == JsonValueKind.Array)
                {
                    var count = children.GetArrayLength();
                    specialistRuns += count;
                    if (count > 1)
                    {
                        extraSpecialistRuns.Add($"{runId}: {string.Join(", ", children.EnumerateArray().Select(static c => c.GetProperty("runId").GetString()))}");
                    }
                }
            }

            var attempts = receiver.Attempts;
            var perKey = attempts.GroupBy(static a => a.Key, StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.Count(), StringComparer.Ordinal);
            var missing = calls.Where(c => !perKey.ContainsKey(c.Key)).Select(static c => $"{c.Key} of {c.Value}: no webhook request").ToList();
            // A second effect of one call under another key (a replay that took a new key, a message run twice): what no receiver could deduplicate.
            var keysPerMessage = attempts
                .GroupBy(static a => JsonNode.Parse(a.Body)?["message"]?.GetValue<string>() ?? string.Empty, StringComparer.Ordinal)
                .Where(static g => g.Select(static a => a.Key).Distinct(StringComparer.Ordinal).Count() > 1)
                .Select(static g => $"'{g.Key}': keys {string.Join(", ", g.Select(static a => a.Key).Distinct(StringComparer.Ordinal))}")
                .ToList();
            var sameKey = perKey.Where(static k => k.Value > 1).Select(static k => $"{k.Key} × {k.Value}").ToList();

            var errorKinds = load.Errors.Values
                .GroupBy(static e => e.StartsWith("gave up", StringComparison.Ordinal) ? "gave up after retries (" + e[(e.IndexOf("last: ", StringComparison.Ordinal) + 6)..] + ")" : e, StringComparer.Ordinal)
                .ToDictionary(static g => g.Key, static g => g.Count(), StringComparer.Ordinal);
            var stuck = settled.Stuck.Select(static s => $"{s.Key}: {s.Value}").Concat(notTerminal).ToList();

            return new ChaosReport
            {
                Sent = load.Sent.Count,
                Acknowledged = load.Acknowledged,
                AcknowledgedWaiting = load.Acks.Values.Count(static a => !a.Completed),
                Retries = load.Retries,
                SlowestAckSeconds = load.Acks.Values.Select(static a => a.Took.TotalSeconds).DefaultIfEmpty(0).Max(),
                UnacknowledgedProcessed = unacknowledgedProcessed,
                Lost = lost,
                Twice = twice,
                ToolCalls = calls.Count,
                WebhookRequests = attempts.Count,
                Effects = perKey.Count,
                SameKeyResends = sameKey,
                DuplicateEffects = keysPerMessage,
                MissingEffects = missing,
                SpecialistRuns = specialistRuns,
                ExtraSpecialistRuns = extraSpecialistRuns,
                Stuck = stuck,
                ClientErrors = errorKinds,
                ClientErrorKeys = [.. load.Errors.Select(static e => $"{e.Key}: {e.Value}")],
            };
        }

        private async Task<JsonElement> GetAsync(string path)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                if (await TryGetAsync(path) is { } found)
                {
                    return found;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"GET {path} did not answer 200 within 60 s after the faults.");
                }

                await Task.Delay(500, cancellationToken);
            }
        }

        private async Task<JsonElement?> TryGetAsync(string path)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(address(Interlocked.Increment(ref next)), path), cancellationToken);
                return response.StatusCode == HttpStatusCode.OK ? (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).Clone() : null;
            }
            catch (HttpRequestException)
            {
                return null;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
    }
}

/// <summary>What <see cref="ChaosRun"/> measured; <see cref="Table"/> prints it, the lists name each failure.</summary>
public sealed record ChaosReport
{
    public int Seed { get; init; }

    public int Kills { get; init; }

    public double LoadSeconds { get; init; }

    public int Sent { get; init; }

    public int Acknowledged { get; init; }

    public int AcknowledgedWaiting { get; init; }

    public int Retries { get; init; }

    public double SlowestAckSeconds { get; init; }

    public int UnacknowledgedProcessed { get; init; }

    public IReadOnlyList<string> Lost { get; init; } = [];

    public IReadOnlyList<string> Twice { get; init; } = [];

    public int ToolCalls { get; init; }

    public int WebhookRequests { get; init; }

    public int Effects { get; init; }

    public IReadOnlyList<string> SameKeyResends { get; init; } = [];

    public IReadOnlyList<string> DuplicateEffects { get; init; } = [];

    public IReadOnlyList<string> MissingEffects { get; init; } = [];

    public int SpecialistRuns { get; init; }

    public IReadOnlyList<string> ExtraSpecialistRuns { get; init; } = [];

    public IReadOnlyList<string> Stuck { get; init; } = [];

    public double SettledAfterSeconds { get; init; }

    public double SettleBoundSeconds { get; init; }

    public IReadOnlyDictionary<string, int> ClientErrors { get; init; } = new Dictionary<string, int>();

    public IReadOnlyList<string> ClientErrorKeys { get; init; } = [];

    public IReadOnlyList<string> Timeline { get; init; } = [];

    public int ModelRequests { get; init; }

    /// <summary>The distinct errors the silos logged, most frequent first.</summary>
    public IReadOnlyList<string> SiloFailures { get; init; } = [];

    /// <summary>The figures as a Markdown table.</summary>
    public string Table()
    {
        var errors = ClientErrors.Count == 0 ? "0" : $"{ClientErrors.Values.Sum()}: " + string.Join("; ", ClientErrors.Select(static e => $"{e.Key} × {e.Value}"));
        var rows = new (string Figure, string Value)[]
        {
            ("faults", $"{Kills} silo kills (kill -9, each restarted), 1 PostgreSQL restart, 1 Redis restart; seed {Seed}"),
            ("load", $"{Sent} messages sent in {LoadSeconds:0} s, {Sent / Math.Max(1, LoadSeconds):0} per s ({Retries} retries with the same Idempotency-Key)"),
            ("acknowledged (2xx with a run id)", $"{Acknowledged} ({AcknowledgedWaiting} of them 202), slowest {SlowestAckSeconds:0.0} s"),
            ("lost (acknowledged, run not completed or message not in history)", Lost.Count.ToString(CultureInfo.InvariantCulture)),
            ("processed twice (two runs or two user messages for one key)", Twice.Count.ToString(CultureInfo.InvariantCulture)),
            ("not acknowledged but processed (once)", UnacknowledgedProcessed.ToString(CultureInfo.InvariantCulture)),
            ("notify calls journaled by the completed runs", ToolCalls.ToString(CultureInfo.InvariantCulture)),
            ("webhook requests / distinct keys (effects)", $"{WebhookRequests} / {Effects}"),
            ("same key sent again after a crash (a receiver honouring the key applies it once)", SameKeyResends.Count.ToString(CultureInfo.InvariantCulture)),
            ("duplicate effects (one call under a second key)", DuplicateEffects.Count.ToString(CultureInfo.InvariantCulture)),
            ("missing effects (journaled call, no request)", MissingEffects.Count.ToString(CultureInfo.InvariantCulture)),
            ("specialist runs / beyond one per call", $"{SpecialistRuns} / {ExtraSpecialistRuns.Count}"),
            ("stuck (not terminal within the settle bound)", $"{Stuck.Count} (bound {SettleBoundSeconds:0} s after the faults ended; the last run ended {SettledAfterSeconds:0.0} s after them)"),
            ("client-visible errors (after retries)", errors),
        };
        var table = new StringBuilder();
        table.AppendLine("| figure | value |");
        table.AppendLine("|---|---|");
        foreach (var (figure, value) in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"| {figure} | {value} |");
        }

        return table.ToString();
    }

    /// <summary>Every failure by name, for a failing test or the bench's output.</summary>
    public string Details()
    {
        var details = new StringBuilder();
        void Section(string title, IReadOnlyList<string> items)
        {
            if (items.Count > 0)
            {
                details.AppendLine(CultureInfo.InvariantCulture, $"{title} ({items.Count}):");
                foreach (var item in items.Take(30))
                {
                    details.AppendLine("  " + item);
                }
            }
        }

        Section("lost", Lost);
        Section("processed twice", Twice);
        Section("duplicate effects", DuplicateEffects);
        Section("missing effects", MissingEffects);
        Section("same key sent again", SameKeyResends);
        Section("specialist runs beyond one per call", ExtraSpecialistRuns);
        Section("stuck", Stuck);
        Section("client-visible errors", ClientErrorKeys);
        Section("timeline", Timeline);
        Section("errors the silos logged", SiloFailures);
        return details.ToString();
    }
}
