using AgentGrains.Client.Hosting;
using AgentGrains.GrainInterfaces.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Hosting;

namespace AgentGrains.Client.Telemetry;

/// <summary>OpenTelemetry for the executables: traces and metrics of the runtime, Orleans and ASP.NET Core, exported over OTLP and scraped at <c>/metrics</c>.</summary>
/// <remarks>
/// <para>The executables add it (<c>silo/Program.cs</c> on the silo builder, <c>client/GatewayProgram.cs</c> on the
/// Orleans client), not the shared composition: hosts that embed silos (tests, benchmarks) export nothing.</para>
/// <para><b>Traces</b> go out over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (environment or
/// configuration), and are not collected at all otherwise: no listener, so no span is even created.
/// They carry the <see cref="TelemetryNames.AgentGrains"/> source (runs, steps, model and tool calls),
/// Orleans' grain calls (<see cref="TelemetryNames.OrleansApplication"/>, <see cref="TelemetryNames.OrleansRuntime"/>,
/// propagated from caller to callee by <c>AddActivityPropagation()</c>) and ASP.NET Core's requests
/// (health probes, <c>/metrics</c> and the dashboard's polls left out). <b>Metrics</b> (the
/// <see cref="TelemetryNames.AgentGrains"/> meter, Orleans' <see cref="TelemetryNames.OrleansMeter"/>,
/// ASP.NET Core's) are always served at <see cref="MetricsPath"/> in Prometheus' text format, and
/// exported over OTLP too when the endpoint is set. <c>OTEL_TRACES_EXPORTER</c> and <c>OTEL_METRICS_EXPORTER</c>
/// set to <c>none</c> leave a signal out of the export. The other standard <c>OTEL_*</c> variables apply
/// (<c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>, <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_TRACES_SAMPLER</c>, <c>OTEL_METRIC_EXPORT_INTERVAL</c>).</para>
/// </remarks>
public static class TelemetryHostingExtensions
{
    /// <summary>Where the Prometheus scrape endpoint is mapped.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The setting that switches OTLP export on (its endpoint).</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary><c>none</c> keeps traces from being collected and exported even with an OTLP endpoint; <c>otlp</c> (the default) exports them.</summary>
    public const string TracesExporterKey = "OTEL_TRACES_EXPORTER";

    /// <summary><c>none</c> keeps metrics from being exported over OTLP (for a backend that takes traces only); <c>/metrics</c> serves them either way.</summary>
    public const string MetricsExporterKey = "OTEL_METRICS_EXPORTER";

    /// <summary>The service name used unless <c>OTEL_SERVICE_NAME</c> says otherwise: a silo's.</summary>
    public const string SiloServiceName = "agentgrains-silo";

    /// <summary>The service name used unless <c>OTEL_SERVICE_NAME</c> says otherwise: a standalone gateway's.</summary>
    public const string GatewayServiceName = "agentgrains-gateway";

    // Requests that would only be noise in traces: probes, scrapes and the dashboard's polls.
    private static readonly string[] UntracedPaths = [MetricsPath, "/healthz", "/readyz", "/dashboard"];

    /// <summary>Adds OpenTelemetry to a silo's host: Orleans' activity propagation on the silo, traces and metrics for the host.</summary>
    public static ISiloBuilder AddAgentGrainsTelemetry(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!IsAdded(builder.Services))
        {
            builder.AddActivityPropagation();
            AddOpenTelemetry(builder.Services, builder.Configuration, SiloServiceName);
        }

        return builder;
    }

    /// <summary>Adds OpenTelemetry to a standalone gateway's host: Orleans' activity propagation on the client (its grain calls carry the request's trace to the silos), traces and metrics for the host.</summary>
    public static IClientBuilder AddAgentGrainsTelemetry(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!IsAdded(builder.Services))
        {
            builder.AddActivityPropagation();
            AddOpenTelemetry(builder.Services, builder.Configuration, GatewayServiceName);
        }

        return builder;
    }

    /// <summary>Maps the Prometheus scrape endpoint at <see cref="MetricsPath"/> when telemetry was added.</summary>
    public static WebApplication MapAgentGrainsTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<TelemetryAdded>() is not null)
        {
            // Counts and durations, no ids or secrets: scrapers read it without a key, as probes read /healthz.
            app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        }

        return app;
    }

    private static void AddOpenTelemetry(IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        services.AddSingleton<TelemetryAdded>();
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);
        // Both read (and so checked) whether or not an endpoint is set: a wrong value is refused at once.
        var traces = Exporter(configuration, TracesExporterKey) && otlp;
        var metricsOverOtlp = Exporter(configuration, MetricsExporterKey) && otlp;
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME, when set, names the service (the environment detector reads it).
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(serviceName);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(TelemetryNames.AgentGrains, TelemetryNames.OrleansMeter)
                    .AddAspNetCoreInstrumentation()
                    .AddPrometheusExporter();
                if (metricsOverOtlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (traces)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(TelemetryNames.AgentGrains, TelemetryNames.OrleansApplication, TelemetryNames.OrleansRuntime)
                .AddAspNetCoreInstrumentation(static options => options.Filter = static context => IsTraced(context.Request.Path))
                .AddOtlpExporter());
        }
    }

    /// <summary>Whether the exporter setting <paramref name="key"/> asks for OTLP: unset or <c>otlp</c> does, <c>none</c> does not.</summary>
    private static bool Exporter(IConfiguration configuration, string key)
    {
        var value = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(value) || string.Equals(value, "otlp", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return string.Equals(value, "none", StringComparison.OrdinalIgnoreCase)
            ? false
            : throw new SettingRefusedException($"{key} is '{value}'; set it to otlp or none.");
    }

    private static bool IsTraced(PathString path)
    {
        foreach (var untraced in UntracedPaths)
        {
            if (path.StartsWithSegments(untraced, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAdded(IServiceCollection services) => services.Any(static d => d.ServiceType == typeof(TelemetryAdded));

    private sealed class TelemetryAdded;
}
