using System.Net;
using AgentGrains.Tests.Gateway;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace AgentGrains.Tests.Telemetry;

/// <summary>The silo executable's telemetry: metrics scraped at /metrics, traces collected only when OTLP export is configured.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class TelemetryMetricsTests : IAsyncLifetime
{
    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Metrics_AfterARun_PrometheusTextHasTheRunByStatusStepDurationTokensAndOrleans()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();
        var sessionId = await client.CreateSessionAsync();
        using (var sent = await client.SendTextAsync(sessionId, "What is (2+3)*4?"))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        var text = string.Empty;
        await Eventually.TrueAsync(
            async () =>
            {
                using var scraped = await client.GetAsync("/metrics", Ct);
                Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
                Assert.StartsWith("text/plain", scraped.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
                text = await scraped.Content.ReadAsStringAsync(Ct);
                return Sample(text, "agentgrains_runs_total", "agent=\"assistant\"", "status=\"completed\"") is not null;
            },
            TimeSpan.FromSeconds(10),
            "/metrics counts the completed run");

        Assert.Contains("# TYPE agentgrains_runs_total counter", text, StringComparison.Ordinal);
        Assert.True(Sample(text, "agentgrains_runs_total", "agent=\"assistant\"", "status=\"completed\"") >= 1, text);
        Assert.Contains("# TYPE agentgrains_step_duration_seconds histogram", text, StringComparison.Ordinal);
        // The calculator run has two steps: the tool call, then the answer.
        Assert.True(Sample(text, "agentgrains_step_duration_seconds_count", "agent=\"assistant\"") >= 2, text);
        Assert.NotNull(Sample(text, "agentgrains_step_duration_seconds_bucket", "agent=\"assistant\"", "le=\"+Inf\""));
        Assert.True(Sample(text, "agentgrains_tokens_total", "agent=\"assistant\"", "direction=\"input\"") > 0, text);
        Assert.True(Sample(text, "agentgrains_tokens_total", "agent=\"assistant\"", "direction=\"output\"") > 0, text);
        Assert.True(Sample(text, "agentgrains_sessions_active") >= 1, text);
        Assert.Contains("\norleans_", text, StringComparison.Ordinal);
        // No OTLP endpoint: nothing collects spans, so none is even created.
        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task Traces_WithAnOtlpEndpoint_TheTracerProviderIsRegistered()
    {
        // Loopback, where nothing listens: the export fails quietly, the host runs on.
        await using var app = new GatewayApp(storage, new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });
        using var client = app.CreateClient();
        using var ready = await client.GetAsync("/readyz", Ct);

        Assert.NotNull(app.Services.GetService<TracerProvider>());
        using var scraped = await client.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
    }

    [Fact]
    public async Task Traces_WithAnOtlpEndpointButTracesExporterNone_NoTracerProviderAndMetricsStillServed()
    {
        await using var app = new GatewayApp(storage, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
            ["OTEL_TRACES_EXPORTER"] = "none",
            ["OTEL_METRICS_EXPORTER"] = "none",
        });
        using var client = app.CreateClient();
        using var scraped = await client.GetAsync("/metrics", Ct);

        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task Metrics_StandaloneGateway_ServesItsRequestsAndOrleansClientMetrics()
    {
        await using var silo = new GatewayApp(storage);
        using var siloClient = silo.CreateClient();
        await using var gateway = await NodeProcess.StartGatewayAsync(
            new Dictionary<string, string?>
            {
                ["Orleans:GatewayPort"] = silo.GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "Warning",
            },
            Ct);
        using var http = new HttpClient { BaseAddress = gateway.Address };
        var sessionId = await http.CreateSessionAsync();
        using (var sent = await http.SendTextAsync(sessionId, "What is 2+3?"))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        var text = string.Empty;
        await Eventually.TrueAsync(
            async () =>
            {
                text = await http.GetStringAsync("/metrics", Ct);
                return Sample(text, "http_server_request_duration_seconds_count", "http_route=\"/v1/sessions/{id}/messages\"") is not null;
            },
            TimeSpan.FromSeconds(10),
            "the gateway's /metrics has its message request");

        Assert.Contains("\norleans_", text, StringComparison.Ordinal);
        Assert.Contains("service_name=\"agentgrains-gateway\"", text, StringComparison.Ordinal);
    }

    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels include all of <paramref name="labels"/>; null when there is none.</summary>
    private static double? Sample(string text, string metric, params string[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length <= metric.Length || (line[metric.Length] != '{' && line[metric.Length] != ' '))
            {
                continue;
            }

            var end = line.LastIndexOf('}');
            var labelText = end < 0 ? string.Empty : line[..end];
            if (labels.All(l => labelText.Contains(l, StringComparison.Ordinal)))
            {
                var value = line[(line.LastIndexOf(' ') + 1)..];
                return double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
