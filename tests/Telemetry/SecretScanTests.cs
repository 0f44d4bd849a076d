using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.GrainInterfaces.Diagnostics;
using AgentGrains.Tests.Gateway;
using AgentGrains.Tests.Grains.Tools;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace AgentGrains.Tests.Telemetry;

/// <summary>Secrets stay secret: no API key, model key, database password or MCP header value appears in what the silo logs, traces or answers.</summary>
/// <remarks>
/// One silo with every kind of secret configured does everything that touches them: API keys accepted
/// and refused, a model reached with its key and a model that refuses it, an MCP server reached with
/// an Authorization header, PostgreSQL with a password in its connection string, event streams and
/// problem details. Everything it logs (every level, exceptions and scopes included), every span (names,
/// tags, events, status) and every response (headers and bodies) is scanned for each secret.
/// </remarks>
[Trait("Category", "Integration")]
[Trait("Provider", "Postgres")]
public sealed class SecretScanTests : IAsyncLifetime
{
    private static readonly string ApiKey = SecretWatch.Register("SecretScanTests.ApiKey", "ak-" + Guid.NewGuid().ToString("N"));
    private static readonly string WrongKey = SecretWatch.Register("SecretScanTests.WrongKey", "ak-" + Guid.NewGuid().ToString("N"));
    private static readonly string ModelKey = SecretWatch.Register("SecretScanTests.ModelKey", "sk-" + Guid.NewGuid().ToString("N"));
    private static readonly string DatabasePassword = SecretWatch.Register("SecretScanTests.DatabasePassword", "pw-" + Guid.NewGuid().ToString("N"));
    private static readonly string McpSecret = SecretWatch.Register("SecretScanTests.McpSecret", "mcp-" + Guid.NewGuid().ToString("N"));

    private readonly StorageUnderTest storage = StorageUnderTest.Postgres();
    private readonly Recorder logs = new();
    private readonly ConcurrentQueue<string> responses = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync() => await storage.DisposeAsync();

    [Fact]
    public async Task EverythingTheSiloLogsTracesAndAnswers_HoldsNoSecret()
    {
        var spans = new SpanCollector();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(TelemetryNames.AgentGrains, TelemetryNames.OrleansApplication, TelemetryNames.OrleansRuntime, "Experimental.Microsoft.Extensions.AI", "Microsoft.Extensions.AI")
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        await using var mcp = await McpTestServer.StartAsync();
        await using var model = await FakeOpenAIServer.StartAsync();
        model.RequiredApiKey = ModelKey;
        var postgres = storage.Settings["ConnectionStrings:AgentGrains"] + ";Password=" + DatabasePassword;
        var settings = new Dictionary<string, string?>(model.ModelSettings)
        {
            ["Model:ApiKey"] = ModelKey,
            ["ConnectionStrings:AgentGrains"] = postgres,
            ["Gateway:ApiKeys:scan:Hash"] = ApiKeyAuthenticationHandler.Hash(ApiKey),
            ["Gateway:ApiKeys:scan:Tenant"] = "scan",
            ["Gateway:ApiKeys:scan:Roles:0"] = "admin",
            ["Gateway:ApiKeys:scan:Roles:1"] = "user",
            ["Mcp:Servers:secret:Url"] = mcp.Url.ToString(),
            ["Mcp:Servers:secret:Headers:Authorization"] = "Bearer " + McpSecret,
            ["Agents:scanner:Instructions"] = "Use the echo tool.",
            ["Agents:scanner:Tools:0"] = "mcp:secret/echo",
            // Everything, at every level: the shipped settings quiet ASP.NET Core, Orleans and Polly.
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Orleans"] = "Debug",
            ["Logging:LogLevel:Polly"] = "Trace",
        };
        await using var app = new GatewayApp(storage, settings, services => services.AddSingleton<ILoggerProvider>(logs));
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + ApiKey);
        using var wrong = app.CreateClient();
        wrong.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + WrongKey);

        // A run through the model (with its key) and the MCP server (with its header), then a model that refuses the key.
        model.Enqueue(FakeResponse.Call("mcp__secret__echo", """{"text":"hello"}"""), FakeResponse.Text("The server said hello."), FakeResponse.Error(401, "Incorrect API key provided: " + ModelKey[..8] + "****", code: "invalid_api_key"));
        await RecordAsync(await client.PostAsJsonAsync("/v1/sessions", new { agent = "scanner", sessionId = "scan" }, Ct));
        var first = await RecordAsync(await client.SendTextAsync("scan", "Echo hello."));
        Assert.Contains("The server said hello.", first, StringComparison.Ordinal);
        var second = await RecordAsync(await client.SendTextAsync("scan", "Again."));
        Assert.Contains("failed", second, StringComparison.Ordinal);
        Assert.Equal([("echo", "scan~1:1:0")], mcp.Calls);

        foreach (var path in new[] { "/v1/runs/scan~1", "/v1/runs/scan~2", "/v1/runs/scan~1/events", "/v1/runs/scan~2/events", "/v1/sessions/scan", "/v1/sessions", "/v1/cluster", "/metrics" })
        {
            await RecordAsync(await client.GetAsync(path, Ct));
        }

        // Refusals: a wrong key, a wrong key on the MCP endpoint, no key.
        await RecordAsync(await wrong.GetAsync("/v1/sessions/scan", Ct));
        await RecordAsync(await wrong.PostAsync("/mcp", JsonContent.Create(new { jsonrpc = "2.0", id = 1, method = "tools/list" }), Ct));
        using var anonymous = app.CreateClient();
        await RecordAsync(await anonymous.GetAsync("/v1/runs/scan~1", Ct));
        tracing.ForceFlush();

        var secrets = new Dictionary<string, string>
        {
            ["the API key"] = ApiKey,
            ["a refused API key"] = WrongKey,
            ["the model's API key"] = ModelKey,
            ["the database password"] = DatabasePassword,
            ["the MCP server's header"] = McpSecret,
        };
        var sources = new List<(string Where, string Text)>();
        sources.AddRange(logs.Entries.Select(static e => ("log", e)));
        var ended = spans.Snapshot();
        sources.AddRange(ended.Select(static s => ("span", SecretWatch.Describe(s))));
        sources.AddRange(responses.Select(static r => ("response", r)));
        Assert.True(logs.Entries.Count > 200, $"Only {logs.Entries.Count} log entries were recorded; the scan would prove little.");
        Assert.Contains(ended, static s => s.OperationName.StartsWith("execute_tool", StringComparison.Ordinal) || s.DisplayName.StartsWith("execute_tool", StringComparison.Ordinal));
        foreach (var (name, secret) in secrets)
        {
            var leaks = sources.Where(s => s.Text.Contains(secret, StringComparison.Ordinal)).Select(static s => $"{s.Where}: {s.Text[..Math.Min(s.Text.Length, 400)]}").ToList();
            Assert.True(leaks.Count == 0, $"{name} appears in {leaks.Count} places, e.g.\n{string.Join("\n", leaks.Take(3))}");
        }
    }

    private async Task<string> RecordAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = new StringBuilder().Append((int)response.StatusCode).Append('\n');
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                text.Append(header.Key).Append(": ").AppendJoin(", ", header.Value).Append('\n');
            }

            var body = await response.Content.ReadAsStringAsync(Ct);
            responses.Enqueue(text.Append(body).ToString());
            return body;
        }
    }

    /// <summary>Keeps every entry at every level: message, state, scopes and exception.</summary>
    private sealed class Recorder : ILoggerProvider, ISupportExternalScope
    {
        private readonly ConcurrentQueue<string> entries = new();
        private IExternalScopeProvider? scopes;

        public IReadOnlyList<string> Entries => [.. entries];

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(string category, Recorder recorder) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => recorder.scopes?.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var text = new StringBuilder().Append(category).Append(' ').Append(formatter(state, exception)).Append(' ').Append(state);
                if (state is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    foreach (var value in values)
                    {
                        text.Append(' ').Append(value.Key).Append('=').Append(value.Value);
                    }
                }

                recorder.scopes?.ForEachScope(static (scope, builder) => builder.Append(" scope=").Append(scope), text);
                text.Append(' ').Append(exception);
                recorder.entries.Enqueue(text.ToString());
            }
        }
    }
}
