using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentGrains.Tests.Gateway;

/// <summary>Ten thousand hostile requests, from a seeded generator, to a cluster of two silos with two tenants' API keys: every one refused with a 4xx problem, nothing stored changed.</summary>
/// <remarks>
/// <para>Two silo executables in this process (<see cref="GatewayApp"/>) join one cluster through
/// membership in the test's PostgreSQL schema (<c>Cluster:Provider=AdoNet</c>) and share its storage;
/// requests alternate between their HTTP APIs. Real sessions, runs (one waiting for approval, one with
/// specialists) and memories of both tenants are made first with valid keys, and dumped through the
/// API before and after.</para>
/// <para>Every generated request is hostile, so none may succeed: malformed, truncated, wrongly typed,
/// oversized, deeply nested, invalid UTF-8 and control-character bodies; path-like, unicode and
/// over-long ids; odd idempotency keys; unknown routes, methods and content types; garbage
/// <c>Last-Event-ID</c>s; the other tenant's ids; missing, bad and revoked keys. A third key (acme's)
/// is removed from a reloaded configuration source half-way, and is refused from then on.</para>
/// <para>Reproduce a run with <c>AGENTGRAINS_HOSTILE_SEED=&lt;seed&gt;</c>; a failure prints the seed and each failing request.</para>
/// </remarks>
[Trait("Category", "Integration")]
[Trait("Provider", "Postgres")]
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int DefaultSeed = 7_807;
    private const int RequestsPerHalf = 5_100;
    private const int Senders = 8;
    private const long MaxBodyBytes = 16 * 1024;

    private static readonly string AcmeKey = SecretWatch.Register("HostileInputTests.AcmeKey", "acme-admin-key-0123456789");
    private static readonly string GlobexKey = SecretWatch.Register("HostileInputTests.GlobexKey", "globex-admin-key-0123456789");
    private static readonly string RevocableKey = SecretWatch.Register("HostileInputTests.RevocableKey", "acme-ops-key-0123456789");

    // The longest Idempotency-Key the gateway accepts (IdempotencyKey.MaxLength less the "http:" prefix).
    private const int MaxIdempotencyKeyLength = 195;

    private static readonly TimeSpan SendBound = TimeSpan.FromSeconds(100);

    private readonly StorageUnderTest storage = StorageUnderTest.Postgres();
    private readonly string clusterId = $"hostile-{Guid.NewGuid():N}";
    private readonly List<GatewayApp> apps = [];
    private readonly List<RevocableSettings> revocable = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        var settings = new Dictionary<string, string?>(storage.Settings)
        {
            ["Cluster:Provider"] = "AdoNet",
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Gateway:MaxRequestBodyBytes"] = MaxBodyBytes.ToString(CultureInfo.InvariantCulture),
            ["Gateway:ApiKeys:acme-admin:Hash"] = ApiKeyAuthenticationHandler.Hash(AcmeKey),
            ["Gateway:ApiKeys:acme-admin:Tenant"] = "acme",
            ["Gateway:ApiKeys:acme-admin:Roles:0"] = "user",
            ["Gateway:ApiKeys:acme-admin:Roles:1"] = "admin",
            ["Gateway:ApiKeys:globex-admin:Hash"] = ApiKeyAuthenticationHandler.Hash(GlobexKey),
            ["Gateway:ApiKeys:globex-admin:Tenant"] = "globex",
            ["Gateway:ApiKeys:globex-admin:Roles:0"] = "user",
            ["Gateway:ApiKeys:globex-admin:Roles:1"] = "admin",
        };
        for (var i = 0; i < 2; i++)
        {
            // Each silo reads the revocable key from a source of its own, as each pod reads its own mounted file.
            var keys = new RevocableSettings(new Dictionary<string, string?>
            {
                ["Gateway:ApiKeys:acme-ops:Hash"] = ApiKeyAuthenticationHandler.Hash(RevocableKey),
                ["Gateway:ApiKeys:acme-ops:Tenant"] = "acme",
            });
            revocable.Add(keys);
            var app = new GatewayApp(storage, settings, configuration: sources => sources.Add(keys));
            apps.Add(app);
            // Started one after the other: the first migrates the schema.
            using var started = Client(i, AcmeKey);
            using var ready = await started.GetAsync("/readyz", Ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }

        await storage.DisposeAsync();
    }

    [Fact]
    public async Task TenThousandHostileRequests_AllRefusedWith4xxProblems_NothingStoredChanges_BothSilosStayReady()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AGENTGRAINS_HOSTILE_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var given) ? given : DefaultSeed;
        output.WriteLine($"Seed {seed} (set AGENTGRAINS_HOSTILE_SEED to send the same requests again).");
        await Eventually.TrueAsync(
            async () => await ActiveSilosAsync(0) == 2 && await ActiveSilosAsync(1) == 2,
            TimeSpan.FromSeconds(60),
            "both silos see a cluster of two active silos");

        var acme = await SeedAsync(0, AcmeKey, "acme", "ada", "Ada", withStudy: true);
        var globex = await SeedAsync(1, GlobexKey, "globex", "bob", "Bob", withStudy: false);
        foreach (var i in (int[])[0, 1])
        {
            using var client = Client(i, RevocableKey);
            using var allowed = await client.GetAsync("/v1/sessions", Ct);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        var before = await DumpAsync();
        // What the requests could damage is there: a waiting run, the specialists' runs and both users' facts.
        Assert.Contains("\"status\":\"awaiting_approval\"", before, StringComparison.Ordinal);
        Assert.Contains("/v1/runs/acme-study~1.1.0~1", before, StringComparison.Ordinal);
        Assert.Contains("My name is Ada.", before, StringComparison.Ordinal);
        Assert.Contains("My name is Bob.", before, StringComparison.Ordinal);
        var targets = new Targets(acme, globex);

        var random = new Random(seed);
        var firstHalf = Enumerable.Range(0, RequestsPerHalf).Select(_ => Generate(random, targets, revoked: false)).ToList();
        var secondHalf = Enumerable.Range(0, RequestsPerHalf).Select(_ => Generate(random, targets, revoked: true)).ToList();
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bound.CancelAfter(SendBound);
        var clients = new[] { Client(0, key: null), Client(1, key: null) };
        try
        {
            await SendAllAsync(firstHalf, offset: 0, clients, tally, bound.Token);

            // The operator removes the key: each silo's configuration reloads, and the key is refused there from then on.
            foreach (var keys in revocable)
            {
                keys.RemoveAll();
            }

            await Eventually.TrueAsync(
                async () => await StatusWithKeyAsync(0, RevocableKey) == HttpStatusCode.Unauthorized && await StatusWithKeyAsync(1, RevocableKey) == HttpStatusCode.Unauthorized,
                TimeSpan.FromSeconds(10),
                "both silos refuse the revoked key");
            await SendAllAsync(secondHalf, offset: RequestsPerHalf, clients, tally, bound.Token);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !Ct.IsCancellationRequested)
        {
            Assert.Fail($"Seed {seed}: the requests did not finish within {SendBound} ({tally.Total} answered).");
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        clock.Stop();
        Report(seed, tally, clock.Elapsed);
        Assert.True(tally.Failures.IsEmpty, $"Seed {seed}: {tally.Failures.Count} of {tally.Total} requests were not refused with a 4xx problem; the first:\n{string.Join("\n", tally.Failures.Take(20))}");
        Assert.Equal(2 * RequestsPerHalf, tally.Total);

        // Both silos are still up, ready and members of the same cluster.
        foreach (var i in (int[])[0, 1])
        {
            using var client = Client(i, key: null);
            using var ready = await client.GetAsync("/readyz", Ct);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal(2, await ActiveSilosAsync(i));
        }

        var after = await DumpAsync();
        Assert.Equal(before, after);
    }

    private void Report(int seed, Tally tally, TimeSpan elapsed)
    {
        output.WriteLine("By status:");
        foreach (var (status, count) in tally.ByStatus.OrderBy(static p => p.Key))
        {
            output.WriteLine($"  {status}: {count}");
        }

        output.WriteLine("By category (status: count):");
        foreach (var (category, count) in tally.ByCategory.OrderBy(static p => p.Key, StringComparer.Ordinal))
        {
            var statuses = tally.ByCategoryAndStatus.Where(p => p.Key.Category == category).OrderBy(static p => p.Key.Status).Select(static p => $"{p.Key.Status}: {p.Value}");
            output.WriteLine($"  {category}: {count} ({string.Join(", ", statuses)})");
        }

        var summary = string.Join(", ", tally.ByStatus.OrderBy(static p => p.Key).Select(static p => $"{p.Key}={p.Value}"));
        var fiveHundreds = tally.ByStatus.Where(static p => p.Key >= 500).Sum(static p => p.Value);
        output.WriteLine(
            $"Hostile input: {tally.Total} requests over 2 silos in {elapsed.TotalSeconds:F1} s ({tally.Total / elapsed.TotalSeconds:F0}/s, {Senders} senders, seed {seed}): {summary}; " +
            $"{fiveHundreds} 5xx, {tally.Failures.Count} failures, {tally.ByCategory.Count} categories.");
    }

    private static async Task SendAllAsync(List<HostileRequest> requests, int offset, HttpClient[] clients, Tally tally, CancellationToken cancellationToken)
    {
        var next = -1;
        var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(
            async () =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < requests.Count)
                {
                    var request = requests[index];
                    // Alternating silos.
                    var client = clients[(offset + index) % clients.Length];
                    using var message = request.ToMessage();
                    HttpResponseMessage response;
                    try
                    {
                        response = await client.SendAsync(message, cancellationToken);
                    }
                    catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
                    {
                        tally.Unsent(request, e);
                        continue;
                    }

                    using (response)
                    {
                        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                        tally.Add(request, response, body, silo: (offset + index) % clients.Length);
                    }
                }
            },
            cancellationToken));
        await Task.WhenAll(senders);
    }

    /// <summary>What every response is checked against: 4xx, <c>application/problem+json</c>, its status, a title and a detail.</summary>
    private static string? Problem(HttpResponseMessage response, byte[] body)
    {
        var status = (int)response.StatusCode;
        if (status is < 400 or >= 500)
        {
            return $"status {status}";
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"status {status} with Content-Type '{response.Content.Headers.ContentType}'";
        }

        try
        {
            using var problem = JsonDocument.Parse(body);
            var root = problem.RootElement;
            if (!root.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.Number || s.GetInt32() != status)
            {
                return $"status {status} but the problem's status is {(root.TryGetProperty("status", out var other) ? other.ToString() : "missing")}";
            }

            if (!root.TryGetProperty("title", out var title) || title.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(title.GetString()))
            {
                return $"status {status}: the problem has no title";
            }

            if (!root.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(detail.GetString()))
            {
                return $"status {status}: the problem has no detail";
            }
        }
        catch (JsonException)
        {
            return $"status {status}: the body is not JSON";
        }

        return null;
    }

    // ----- the generator -----

    private static readonly string[] Categories =
    [
        "malformed-json", "truncated-json", "wrong-types", "huge-body", "deep-nesting", "invalid-utf8", "control-chars",
        "path-like-ids", "long-ids", "idempotency-keys", "unknown-routes", "unknown-methods", "unknown-content-types",
        "last-event-id", "bad-queries", "cross-tenant", "missing-key", "bad-key", "key-role",
    ];

    // Ids that fail validation wherever an id is read (session, run, user), or that the client's path
    // normalization turns into a route that does not exist. Never one whose normalization lands on a real route.
    // No %00: the in-memory test server refuses to decode it on the client's side (Kestrel answers it with its own 400).
    private static readonly string[] InvalidIds =
    [
        "..", "%2e%2e", "%2E%2E", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e", "..%5c..%5cwindows", "a%2Fb", "a/b/c", "~", "~~", "~1",
        "-a", "_a", ":a", "é", "%C3%A9", "日本語", "%E6%97%A5", "💥", "%F0%9F%92%A5", "%FF", "%C0%AF", "%ED%A0%80",
        "%0d%0aSet-Cookie:%20x", "%20", "a%20b", "a b", "%5C", "a%5Cb", "a;b", "a,b", "a'b", "a\"b", "%3Cscript%3E", "a*", "$(id)", "%25", "a%25b",
        "a\u0001b", "a%01b", "%7F", "\u200Bx", "x\u200B", "ǅ", "Ａ", "a\u0301",
    ];

    // Ids of the right shape for reads that name nothing stored: 404, storing nothing.
    private static readonly string[] MissingIds =
    [
        "nobody", "a..b", "CON", "NUL", "a.-_:b", "0", "s-ffffffffffffffffffffffffffffffff", "a~b", "a~1.0~1",
    ];

    private static readonly string[] MalformedJson =
    [
        "{", "}", "[", "{\"", "{\"text\"", "{\"text\":", "{\"text\":\"hi\"", "{\"text\":\"hi\",}", "{text:\"hi\"}", "{'text':'hi'}",
        "not json", "\"unterminated", "{\"text\":\"a\" \"b\"}", "{\"text\"::\"hi\"}", "{\"text\":\"hi\"}}", "{\"text\":\"hi\"} trailing", "{\"text\":undefined}",
        "{\"text\":NaN}", "{\"text\":01}", "{\"text\":\"\\x41\"}", "{\"text\":\"\\u12\"}", "/* comment */ {\"text\":\"hi\"}", "{\"text\":\"hi\" // c\n}",
        "\ufeff\ufeff{\"text\":\"hi\"}", "{\"a\":1,\"a\":2", "[1,2", "{\"text\":\"hi\"\"}", "{,}", ",", ":", "nul", "tru", "-", "0x10", "{\"approve\":tru}",
        "{\"agent\":\"assistant\",\"sessionId\":}", "   ", "\n\t\r ",
    ];

    private static readonly string[] OddIdempotencyKeys =
    [
        "ключ-💥", "../../etc/passwd", "%2e%2e", "a b c", "\t", "null", "{}", "' OR 1=1 --", "http:already-prefixed", "ü", "~~~", "key;with;semicolons",
    ];

    private static readonly string[] BadLastEventIds =
    [
        "abc", "-1", "+1", "1.0", "1e2", "0x1", "99999999999999999999", "1;", "1;=2", "1;a", "1;a=", "1;a=-1", "1;a=x", "1;a=1;a=2", "١٢",
        "😀", "1;;", ";", "=", "1=1", "NaN", "∞", "1;a=99999999999999999999", "0;=", "1,2",
    ];

    private static readonly string[] NonJsonContentTypes =
    [
        "text/plain", "text/json", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/octet-stream",
        "application/jsonp", "application/x-json", "application/json-seq", "*/*", "application/*", "image/png", "text/html; charset=utf-8", "json", "application",
    ];

    private static readonly string[] UnknownRoutes =
    [
        "/v2/sessions", "/v1/session", "/v1", "/v1/", "/v1/runs", "/v1/users", "/v1/users/ada", "/v1/users/ada/memories/1/x", "/v1/agents/assistant",
        "/v1/outbox/1", "/v1/cluster/silos", "/admin", "/.env", "/.git/config", "/wp-login.php", "/health", "/ready", "/metricz", "/v1/sessions%2Fnothing",
        "/%2e%2e/%2e%2e/etc/passwd", "/v1/sessions/nobody/history", "/v1/sessions/nobody/messages/1", "/v1/sessions/nobody/runs/1", "/v1/runs/nobody~1/steps",
        "/v1/runs/nobody~1/events/1", "/v1/runs/nobody~1/approvals", "/openapi/v2.json", "/openapi/v1.yaml", "/openapi/", "/openapi/v1.json/x", "/v1/memories", "/v1/events", "/ui2", "/dashboards", "/v1/sessions/a/b/c/d",
    ];

    private static readonly string[] UnknownMethods = ["PUT", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "FOO", "CONNECTX", "DELETE"];

    private static HostileRequest Generate(Random random, Targets targets, bool revoked)
    {
        // Who acts: either tenant's admin key, or (before it is revoked) acme's user key.
        var (self, other) = random.Next(2) == 0 ? (targets.Acme, targets.Globex) : (targets.Globex, targets.Acme);
        var key = self == targets.Acme && !revoked && random.Next(3) == 0 ? RevocableKey : self.Key;
        var auth = "Bearer " + key;
        if (revoked && random.Next(Categories.Length + 1) == 0)
        {
            // Requests that the key was allowed to make, refused now that it is gone.
            var (m, p, b) = Pick(random, ValidRequests(targets.Acme));
            return Json("revoked-key", m, p, "Bearer " + RevocableKey, b);
        }

        var category = Pick(random, Categories);
        switch (category)
        {
            case "malformed-json":
                return BodyTo(random, self, auth, category, Utf8(Pick(random, MalformedJson)));
            case "truncated-json":
                {
                    var (_, _, valid) = Pick(random, BodyTargets(self));
                    var bytes = Utf8(valid!);
                    return BodyTo(random, self, auth, category, bytes[..random.Next(bytes.Length)]);
                }

            case "wrong-types":
                {
                    var (method, path, bodies) = Pick(random, WrongTypes(self));
                    return Json(category, method, path, auth, Pick(random, bodies));
                }

            case "huge-body":
                {
                    var (method, path, _) = Pick(random, BodyTargets(self));
                    var size = (int)MaxBodyBytes + 1 + random.Next((int)MaxBodyBytes * 3);
                    var text = new string('a', size);
                    var body = path.EndsWith("/approvals/" + self.WaitingCall, StringComparison.Ordinal)
                        ? $$"""{"approve":true,"pad":"{{text}}"}"""
                        : path == "/v1/sessions" ? $$"""{"agent":"assistant","sessionId":"{{text}}"}""" : $$"""{"text":"{{text}}"}""";
                    return new HostileRequest(category, method, path, auth, [], Utf8(body), "application/json", Chunked: random.Next(2) == 0);
                }

            case "deep-nesting":
                {
                    var depth = 65 + random.Next(2400);
                    var (open, close) = random.Next(2) == 0 ? ("[", "]") : ("{\"a\":", "}");
                    var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
                    var body = random.Next(3) switch
                    {
                        0 => nested,
                        1 => $$"""{"text":{{nested}}}""",
                        _ => $$"""{"agent":"assistant","sessionId":{{nested}}}""",
                    };
                    return BodyTo(random, self, auth, category, Utf8(body));
                }

            case "invalid-utf8":
                {
                    byte[][] bad = [[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xfe, 0xff]];
                    var invalid = Pick(random, bad);
                    var (method, path, valid) = Pick(random, BodyTargets(self));
                    var json = valid!;
                    // Inside a string value of an otherwise valid body, or as the whole body, or a UTF-16 body.
                    var body = random.Next(4) switch
                    {
                        0 => invalid,
                        1 => Encoding.Unicode.GetBytes(json),
                        _ => [.. Utf8(json[..^2]), .. invalid, .. Utf8(json[^2..])],
                    };
                    return new HostileRequest(category, method, path, auth, [], body, "application/json", Chunked: false);
                }

            case "control-chars":
                {
                    var control = (char)Pick(random, (int[])[0, 1, 7, 8, 10, 13, 27, 31, 127]);
                    return random.Next(3) switch
                    {
                        // Raw control characters (below 32) in a JSON string are not JSON; escaped ones (and 127) are, so the ids refuse them.
                        0 => BodyTo(random, self, auth, category, Utf8($$"""{"text":"a{{(char)(control % 32)}}b"}""")),
                        1 => Json(category, "POST", "/v1/sessions", auth, $$"""{"agent":"assistant","sessionId":"a\u{{(int)control:x4}}b"}"""),
                        _ => Json(category, "POST", "/v1/sessions", auth, $$"""{"agent":"assistant","sessionId":"fresh-{{random.Next(1000)}}","userId":"u\u{{(int)control:x4}}"}"""),
                    };
                }

            case "path-like-ids":
                return IdRequest(random, self, auth, category, Pick(random, InvalidIds), invalidOnly: random.Next(2) == 0);

            case "long-ids":
                {
                    var length = random.Next(4) == 0 ? 129 + random.Next(1000) : 1025 + random.Next(8000);
                    var id = new string('a', length);
                    return IdRequest(random, self, auth, category, id, invalidOnly: length > 1024);
                }

            case "idempotency-keys":
                {
                    var odd = random.Next(3) switch
                    {
                        0 => new string('k', MaxIdempotencyKeyLength + 1 + random.Next(3000)),
                        1 => Pick(random, (string[])[" ", "   ", "\t \t"]),
                        _ => Pick(random, OddIdempotencyKeys),
                    };
                    if (random.Next(6) == 0)
                    {
                        // Two keys for one message to the tenant's own session: which one would it be stored under?
                        return new HostileRequest(
                            category, "POST", $"/v1/sessions/{self.Session}/messages", auth, [new("Idempotency-Key", "first-key"), new("Idempotency-Key", "second-key")], Utf8("""{"text":"hello"}"""), "application/json", Chunked: false);
                    }

                    var tooLongOrBlank = odd.Length > MaxIdempotencyKeyLength || string.IsNullOrWhiteSpace(odd);
                    // A refused key on the tenant's own session or waiting run; an accepted odd key only on a request refused for another reason.
                    (string Method, string Path, string Body) target = tooLongOrBlank
                        ? Pick(random, (ValueTuple<string, string, string>[])[
                            ("POST", $"/v1/sessions/{self.Session}/messages", """{"text":"hello"}"""),
                            ("POST", $"/v1/runs/{self.WaitingRun}/cancel", "{}"),
                            ("POST", $"/v1/runs/{self.WaitingRun}/approvals/{self.WaitingCall}", """{"approve":false}""")])
                        : Pick(random, (ValueTuple<string, string, string>[])[
                            ("POST", "/v1/sessions/nobody/messages", """{"text":"hello"}"""),
                            ("POST", $"/v1/sessions/{other.Session}/messages", """{"text":"hello"}"""),
                            ("POST", $"/v1/sessions/{self.Session}/messages", """{"text":"""),
                            ("POST", $"/v1/runs/{other.WaitingRun}/cancel", "{}"),
                            ("POST", $"/v1/runs/{other.WaitingRun}/approvals/{other.WaitingCall}", """{"approve":true}""")]);
                    return new HostileRequest(category, target.Method, target.Path, auth, [new("Idempotency-Key", odd)], Utf8(target.Body), "application/json", Chunked: false);
                }

            case "unknown-routes":
                {
                    var method = Pick(random, (string[])["GET", "POST", "DELETE"]);
                    return Json(category, method, Pick(random, UnknownRoutes), auth, method == "POST" ? """{"text":"hello"}""" : null);
                }

            case "unknown-methods":
                {
                    var path = Pick(random, (string[])[
                        "/v1/sessions", $"/v1/sessions/{self.Session}", $"/v1/sessions/{self.Session}/runs", $"/v1/runs/{self.CompletedRun}",
                        $"/v1/runs/{self.CompletedRun}/events", "/v1/agents", "/v1/outbox", $"/v1/users/{self.User}/memories/{self.Fact}"]);
                    var method = Pick(random, UnknownMethods);
                    if (method == "DELETE" && path.Contains("/memories/", StringComparison.Ordinal))
                    {
                        method = "PUT";
                    }

                    // The methods some routes have, on the routes that lack them.
                    (method, path) = random.Next(4) switch
                    {
                        0 => ("GET", $"/v1/sessions/{self.Session}/messages"),
                        1 => ("GET", $"/v1/runs/{self.WaitingRun}/cancel"),
                        _ => (method, path),
                    };
                    return Json(category, method, path, auth, method is "PUT" or "PATCH" ? """{"text":"hello"}""" : null);
                }

            case "unknown-content-types":
                {
                    var (method, path, valid) = Pick(random, BodyTargets(self));
                    var type = Pick(random, NonJsonContentTypes);
                    return new HostileRequest(category, method, path, auth, [], Utf8(valid!), random.Next(8) == 0 ? null : type, Chunked: false);
                }

            case "last-event-id":
                {
                    var garbage = random.Next(10) == 0 ? new string('9', 30 + random.Next(5000)) : Pick(random, BadLastEventIds);
                    var run = Pick(random, (string[])[self.CompletedRun, self.WaitingRun]);
                    if (random.Next(8) == 0)
                    {
                        // Two ids, each valid alone.
                        return new HostileRequest(category, "GET", $"/v1/runs/{run}/events", auth, [new("Last-Event-ID", "1"), new("Last-Event-ID", "2")], null, null, Chunked: false);
                    }

                    return random.Next(3) == 0
                        ? Json(category, "GET", $"/v1/runs/{run}/events?lastEventId={Uri.EscapeDataString(garbage)}", auth, null)
                        : new HostileRequest(category, "GET", $"/v1/runs/{run}/events", auth, [new("Last-Event-ID", garbage)], null, null, Chunked: false);
                }

            case "bad-queries":
                {
                    var (method, path, body) = Pick(random, (ValueTuple<string, string, string?>[])[
                        ("GET", "/v1/sessions?limit=0", null), ("GET", "/v1/sessions?limit=101", null), ("GET", "/v1/sessions?limit=-1", null),
                        ("GET", "/v1/sessions?limit=abc", null), ("GET", "/v1/sessions?limit=1e2", null), ("GET", "/v1/sessions?limit=99999999999999999999", null),
                        ("GET", "/v1/sessions?cursor=garbage", null), ("GET", "/v1/sessions?cursor=%00", null), ("GET", "/v1/sessions?include=all", null),
                        ("GET", "/v1/sessions?include=", null), ("GET", "/v1/sessions?agent=", null), ("GET", "/v1/sessions?agent=nobody", null),
                        ("GET", $"/v1/sessions?agent={new string('a', 200)}", null), ("GET", $"/v1/sessions/{self.Session}/runs?limit=0", null),
                        ("GET", $"/v1/sessions/{self.Session}/runs?cursor=bm9wZQ", null), ("GET", $"/v1/users/{self.User}/memories?limit=1000", null),
                        ("GET", $"/v1/users/{self.User}/memories?cursor=x", null), ("POST", $"/v1/sessions/{self.Session}/messages?wait=maybe", """{"text":"hello"}"""),
                        ("POST", $"/v1/sessions/{self.Session}/messages?wait=1", """{"text":"hello"}"""),
                        ("DELETE", $"/v1/users/{self.User}/memories/0", null), ("DELETE", $"/v1/users/{self.User}/memories/-1", null),
                        ("DELETE", $"/v1/users/{self.User}/memories/abc", null), ("DELETE", $"/v1/users/{self.User}/memories/99999999999999999999", null),
                        ("DELETE", $"/v1/users/{self.User}/memories/987654321", null), ("GET", "/v1/sessions?limit=%zz", null),
                        ("GET", "/v1/sessions?limit=10&limit=20", null), ("GET", "/v1/sessions?include=specialists&include=specialists", null),
                        ("GET", $"/v1/users/{self.User}/memories?cursor=%FF%FE", null),
                        ("POST", $"/v1/sessions/{self.Session}/messages?wait=false&wait=true", """{"text":"hello"}""")]);
                    return Json(category, method, path, auth, body);
                }

            case "cross-tenant":
                {
                    // The other tenant's own ids (never one both tenants have): 404, as for ids that do not exist.
                    var (method, path, body) = Pick(random, (ValueTuple<string, string, string?>[])[
                        ("GET", $"/v1/sessions/{Pick(random, other.Sessions)}", null),
                        ("GET", $"/v1/sessions/{Pick(random, other.Sessions)}/runs", null),
                        ("POST", $"/v1/sessions/{other.Session}/messages", """{"text":"hello"}"""),
                        ("POST", $"/v1/sessions/{other.Session}/messages?wait=false", """{"text":"hello"}"""),
                        ("GET", $"/v1/runs/{Pick(random, other.Runs)}", null),
                        ("GET", $"/v1/runs/{Pick(random, other.Runs)}/events", null),
                        ("POST", $"/v1/runs/{other.WaitingRun}/cancel", null),
                        ("POST", $"/v1/runs/{other.WaitingRun}/approvals/{other.WaitingCall}", """{"approve":true}"""),
                        ("POST", $"/v1/runs/{other.CompletedRun}/cancel", null),
                        ("DELETE", $"/v1/users/{other.User}/memories/{other.Fact}", null)]);
                    return Json(category, method, path, auth, body);
                }

            case "missing-key":
                {
                    var (method, path, body) = Pick(random, ValidRequests(self).Concat([("GET", "/ui", null), ("GET", "/dashboard", null), ("POST", "/mcp", """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""")]).ToArray());
                    return Json(category, method, path, null, body);
                }

            case "bad-key":
                {
                    var wrong = Pick(random, (string[])[
                        "Bearer wrong", $"Bearer {self.Key}x", $"Bearer {self.Key.ToUpperInvariant()}", $"Bearer {self.Key[..^1]}", "Bearer", "Bearer ",
                        $"Token {self.Key}", $"Basic {Convert.ToBase64String(Encoding.ASCII.GetBytes(self.Key + ":"))}", $"Bearer {new string('k', 513 + random.Next(2000))}",
                        $"Bearer {ApiKeyAuthenticationHandler.Hash(self.Key)}", "Bearer ключ", $"{self.Key}", "Bearer null", "Bearer undefined", $"Bearer {RevocableKey}-old",
                        "Bearer dev-admin-key", $"Bearer{self.Key}"]);
                    var (method, path, body) = Pick(random, ValidRequests(self));
                    if (random.Next(8) == 0)
                    {
                        // Both tenants' valid keys at once.
                        return new HostileRequest(
                            category, method, path, null, [new("Authorization", "Bearer " + AcmeKey), new("Authorization", "Bearer " + GlobexKey)], body is null ? null : Utf8(body), body is null ? null : "application/json", Chunked: false);
                    }

                    return Json(category, method, path, wrong, body);
                }

            case "key-role":
                {
                    // acme's user key (before it is revoked) on what only admins may read; an admin key elsewhere, on a path that does not exist.
                    var path = Pick(random, (string[])["/v1/cluster", "/ui", "/ui/runs/x", "/dashboard"]);
                    return self == targets.Acme && !revoked
                        ? Json(category, "GET", path, "Bearer " + RevocableKey, null)
                        : Json(category, "GET", path + "/nothing/here", auth, null);
                }

            default:
                throw new InvalidOperationException(category);
        }
    }

    /// <summary>Requests a key of <paramref name="tenant"/> may make (200 or 201 with a valid key): refused without one.</summary>
    private static (string Method, string Path, string? Body)[] ValidRequests(TenantData tenant) =>
    [
        ("GET", "/v1/sessions", null),
        ("GET", "/v1/sessions?include=specialists", null),
        ("GET", $"/v1/sessions/{tenant.Session}", null),
        ("GET", $"/v1/sessions/{tenant.Session}/runs", null),
        ("GET", $"/v1/runs/{tenant.CompletedRun}", null),
        ("GET", $"/v1/runs/{tenant.CompletedRun}/events", null),
        ("GET", $"/v1/users/{tenant.User}/memories", null),
        ("GET", "/v1/agents", null),
        ("GET", "/v1/outbox", null),
        ("POST", "/v1/sessions", """{"agent":"assistant","sessionId":"would-be-new"}"""),
        ("POST", $"/v1/sessions/{tenant.Session}/messages", """{"text":"What is 1 + 1?"}"""),
        ("POST", $"/v1/runs/{tenant.WaitingRun}/approvals/{tenant.WaitingCall}", """{"approve":true}"""),
        ("POST", $"/v1/runs/{tenant.WaitingRun}/cancel", null),
        ("DELETE", $"/v1/users/{tenant.User}/memories", null),
        ("DELETE", $"/v1/users/{tenant.User}/memories/{tenant.Fact}", null),
    ];

    /// <summary>The requests that read a JSON body, with a valid body for each.</summary>
    private static (string Method, string Path, string? Body)[] BodyTargets(TenantData tenant) =>
    [
        ("POST", "/v1/sessions", """{"agent":"assistant","sessionId":"would-be-new","userId":"someone"}"""),
        ("POST", $"/v1/sessions/{tenant.Session}/messages", """{"text":"What is 1 + 1?"}"""),
        ("POST", $"/v1/runs/{tenant.WaitingRun}/approvals/{tenant.WaitingCall}", """{"approve":true}"""),
    ];

    private static (string Method, string Path, string[] Bodies)[] WrongTypes(TenantData tenant) =>
    [
        ("POST", "/v1/sessions", [
            """{"agent":42}""", """{"agent":["assistant"]}""", """{"agent":{"name":"assistant"}}""", """{"agent":null}""", """{"agent":""}""", """{}""",
            """{"agent":"assistant","sessionId":123}""", """{"agent":"assistant","sessionId":true}""", """{"agent":"assistant","userId":7}""",
            """{"agent":"assistant","sessionId":"ok-id","extra":1}""", """{"agent":"no-such-agent","sessionId":"ok-id"}""", """["assistant"]""", "\"assistant\"", "null", "42", "true",
            """{"agent":"assistant","sessionId":""}""", """{"agent":"assistant","userId":""}""", """{"Agent ":"assistant"}""",
            $$"""{"agent":"assistant","sessionId":"{{tenant.Session}}","userId":"not-the-owner"}""",
        ]),
        ("POST", $"/v1/sessions/{tenant.Session}/messages", [
            """{"text":42}""", """{"text":true}""", """{"text":["hi"]}""", """{"text":{"value":"hi"}}""", """{"text":null}""", """{"text":""}""", """{"text":"   "}""",
            """{}""", """{"txt":"hi"}""", """{"text":"hi","txt":"typo"}""", """["hi"]""", "\"hi\"", "null", "1.5", """{"text":1e400}""",
        ]),
        ("POST", $"/v1/runs/{tenant.WaitingRun}/approvals/{tenant.WaitingCall}", [
            """{"approve":"true"}""", """{"approve":1}""", """{"approve":null}""", """{}""", """{"approved":true}""", """{"approve":[true]}""", "true", "null", "[]",
            """{"approve":true,"reason":"x"}""",
        ]),
    ];

    /// <summary>A request to one of the routes that take an id, with <paramref name="id"/> in it.</summary>
    private static HostileRequest IdRequest(Random random, TenantData self, string auth, string category, string id, bool invalidOnly)
    {
        var routes = new List<(string Method, string Path, string? Body)>
        {
            ("GET", $"/v1/sessions/{id}", null),
            ("GET", $"/v1/sessions/{id}/runs", null),
            ("POST", $"/v1/sessions/{id}/messages", """{"text":"hello"}"""),
            ("GET", $"/v1/runs/{id}", null),
            ("GET", $"/v1/runs/{id}/events", null),
            ("POST", $"/v1/runs/{id}/cancel", null),
            ("POST", $"/v1/runs/{id}/approvals/{self.WaitingCall}", """{"approve":true}"""),
            ("POST", $"/v1/runs/{self.WaitingRun}/approvals/{id}", """{"approve":true}"""),
            ("POST", "/v1/sessions", JsonSerializer.Serialize(new { agent = "assistant", sessionId = Uri.UnescapeDataString(id) })),
        };
        if (invalidOnly)
        {
            // A user id that passes validation reads an empty list (200) or deletes nothing (200): only invalid ones here.
            routes.Add(("GET", $"/v1/users/{id}/memories", null));
            routes.Add(("DELETE", $"/v1/users/{id}/memories", null));
            routes.Add(("DELETE", $"/v1/users/{id}/memories/1", null));
            routes.Add(("DELETE", $"/v1/users/{self.User}/memories/{id}", null));
            routes.Add(("POST", "/v1/sessions", JsonSerializer.Serialize(new { agent = "assistant", sessionId = "fresh-id", userId = Uri.UnescapeDataString(id) })));
        }
        else
        {
            // A run that names a session that does not exist, and a session of the right shape that does not: 404.
            routes.Add(("GET", $"/v1/runs/{MissingId(random)}~1", null));
            routes.Add(("GET", $"/v1/sessions/{MissingId(random)}", null));
        }

        var (method, path, body) = Pick(random, routes);
        return Json(category, method, path, auth, body);
    }

    private static string MissingId(Random random) => Pick(random, MissingIds);

    /// <summary>A body to one of the requests that read JSON, as the tenant's key sends it.</summary>
    private static HostileRequest BodyTo(Random random, TenantData self, string auth, string category, byte[] body)
    {
        var (method, path, _) = Pick(random, BodyTargets(self));
        return new HostileRequest(category, method, path, auth, [], body, "application/json", Chunked: random.Next(6) == 0);
    }

    private static HostileRequest Json(string category, string method, string path, string? authorization, string? body) =>
        new(category, method, path, authorization, [], body is null ? null : Utf8(body), body is null ? null : "application/json", Chunked: false);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    // ----- the cluster and its data -----

    private HttpClient Client(int silo, string? key)
    {
        var client = apps[silo].CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        if (key is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + key);
        }

        return client;
    }

    private async Task<int> ActiveSilosAsync(int silo)
    {
        using var client = Client(silo, AcmeKey);
        using var response = await client.GetAsync("/v1/cluster", Ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return 0;
        }

        var cluster = await GatewayHttp.ReadJsonAsync(response);
        return cluster.GetProperty("silos").EnumerateArray().Count(static s => s.GetProperty("status").GetString() == "active");
    }

    private async Task<HttpStatusCode> StatusWithKeyAsync(int silo, string key)
    {
        using var client = Client(silo, key);
        using var response = await client.GetAsync("/v1/sessions", Ct);
        return response.StatusCode;
    }

    /// <summary>A tenant's sessions: one id both tenants have, one with a user who told it their name (a fact), one run waiting for approval and, for acme, one with specialists.</summary>
    private async Task<TenantData> SeedAsync(int silo, string key, string tenant, string user, string name, bool withStudy)
    {
        using var client = Client(silo, key);
        await CreateAsync(client, new { agent = "assistant", sessionId = "shared" });
        await SendOkAsync(client, "shared", "What is 2 + 3?");
        var session = $"{tenant}-1";
        await CreateAsync(client, new { agent = "assistant", sessionId = session, userId = user });
        await SendOkAsync(client, session, $"My name is {name}.");
        await SendOkAsync(client, session, "What is 6 * 7?");
        var waiting = $"{tenant}-wait";
        await CreateAsync(client, new { agent = "assistant", sessionId = waiting, userId = user });
        using var held = await client.SendTextAsync(waiting, $"Send a message to {user}@example.com: hold on");
        Assert.Equal(HttpStatusCode.Accepted, held.StatusCode);
        var waitingRun = (await GatewayHttp.ReadJsonAsync(held)).GetProperty("runId").GetString()!;
        var run = await client.GetRunAsync(waitingRun);
        Assert.Equal("awaiting_approval", run.GetProperty("status").GetString());
        var call = run.GetProperty("steps")[0].GetProperty("toolCalls")[0].GetProperty("callId").GetString()!;
        if (withStudy)
        {
            await CreateAsync(client, new { agent = "research", sessionId = $"{tenant}-study" });
            await SendOkAsync(client, $"{tenant}-study", "How do idempotency keys keep tool calls exactly once?");
        }

        using var memories = await client.GetAsync($"/v1/users/{user}/memories", Ct);
        var fact = Assert.Single((await GatewayHttp.ReadJsonAsync(memories)).GetProperty("facts").EnumerateArray()).GetProperty("id").GetInt64();

        // Every session and run it has, specialists' included, except the one id the other tenant has too.
        var sessions = new List<string>();
        var runs = new List<string>();
        var page = await GatewayHttp.ReadJsonAsync(await client.GetAsync("/v1/sessions?include=specialists&limit=100", Ct));
        foreach (var listed in page.GetProperty("sessions").EnumerateArray())
        {
            var id = listed.GetProperty("sessionId").GetString()!;
            if (id == "shared")
            {
                continue;
            }

            sessions.Add(id);
            var listedRuns = await GatewayHttp.ReadJsonAsync(await client.GetAsync($"/v1/sessions/{id}/runs?limit=100", Ct));
            runs.AddRange(listedRuns.GetProperty("runs").EnumerateArray().Select(static r => r.GetProperty("runId").GetString()!));
        }

        output.WriteLine($"Seeded {tenant}: sessions {string.Join(", ", sessions)}; runs {string.Join(", ", runs)}; fact {fact} of {user}; {waitingRun} waits on {call}.");
        return new TenantData(tenant, key, session, $"{session}~1", waitingRun, call, user, fact, [.. sessions], [.. runs]);
    }

    private static async Task CreateAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/v1/sessions", body, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task SendOkAsync(HttpClient client, string sessionId, string text)
    {
        using var response = await client.SendTextAsync(sessionId, text);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Everything stored, as each tenant's admin reads it through the first silo: sessions (specialists' too), each session, its runs, each run, each user's memories, the outbox.</summary>
    private async Task<string> DumpAsync()
    {
        var dump = new StringBuilder();
        foreach (var key in (string[])[AcmeKey, GlobexKey])
        {
            using var client = Client(0, key);
            var users = new SortedSet<string>(StringComparer.Ordinal);
            string? cursor = null;
            do
            {
                var page = await ReadOkAsync(client, $"/v1/sessions?include=specialists&limit=100{(cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor))}", dump);
                foreach (var listed in page.GetProperty("sessions").EnumerateArray())
                {
                    var id = listed.GetProperty("sessionId").GetString()!;
                    var session = await ReadOkAsync(client, $"/v1/sessions/{id}", dump);
                    if (session.GetProperty("userId").GetString() is { } user)
                    {
                        users.Add(user);
                    }

                    var runs = await ReadOkAsync(client, $"/v1/sessions/{id}/runs?limit=100", dump);
                    foreach (var run in runs.GetProperty("runs").EnumerateArray())
                    {
                        await ReadOkAsync(client, $"/v1/runs/{run.GetProperty("runId").GetString()}", dump);
                    }
                }

                cursor = page.GetProperty("next").GetString();
            }
            while (cursor is not null);

            foreach (var user in users)
            {
                await ReadOkAsync(client, $"/v1/users/{user}/memories?limit=100", dump);
            }

            await ReadOkAsync(client, "/v1/outbox", dump);
        }

        return dump.ToString();
    }

    private static async Task<JsonElement> ReadOkAsync(HttpClient client, string path, StringBuilder dump)
    {
        using var response = await client.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        dump.Append(path).Append('\n').Append(body).Append('\n');
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>A tenant's data the requests aim at.</summary>
    private sealed record TenantData(
        string Tenant,
        string Key,
        string Session,
        string CompletedRun,
        string WaitingRun,
        string WaitingCall,
        string User,
        long Fact,
        string[] Sessions,
        string[] Runs);

    private sealed record Targets(TenantData Acme, TenantData Globex);

    /// <summary>Counts by status and category, and the requests that were not refused as they should be.</summary>
    private sealed class Tally
    {
        private int total;

        public int Total => total;

        public ConcurrentDictionary<int, int> ByStatus { get; } = new();

        public ConcurrentDictionary<string, int> ByCategory { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<(string Category, int Status), int> ByCategoryAndStatus { get; } = new();

        public ConcurrentQueue<string> Failures { get; } = new();

        public void Unsent(HostileRequest request, Exception exception)
        {
            Interlocked.Increment(ref total);
            ByCategory.AddOrUpdate(request.Category, 1, static (_, n) => n + 1);
            Failures.Enqueue($"not sent ({exception.GetType().Name}: {exception.Message}): {request}");
        }

        public void Add(HostileRequest request, HttpResponseMessage response, byte[] body, int silo)
        {
            Interlocked.Increment(ref total);
            var status = (int)response.StatusCode;
            ByStatus.AddOrUpdate(status, 1, static (_, n) => n + 1);
            ByCategory.AddOrUpdate(request.Category, 1, static (_, n) => n + 1);
            ByCategoryAndStatus.AddOrUpdate((request.Category, status), 1, static (_, n) => n + 1);
            if (Problem(response, body) is { } problem)
            {
                var answer = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));
                Failures.Enqueue($"{problem} from silo {silo} for {request} (sent as {response.RequestMessage?.RequestUri}); answer: {answer}");
            }
        }
    }
}
