using System.Globalization;
using System.Net;
using System.Text.Json;
using AgentGrains.Grains.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace AgentGrains.Tests.Gateway;

/// <summary>The Orleans Dashboard at <c>/dashboard</c>: on the silo executable, on the standalone gateway, and switched off.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class DashboardTests : IAsyncLifetime
{
    private static readonly TimeSpan CountersTimeout = TimeSpan.FromSeconds(30);

    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dashboard_SiloExecutable_ServesTheOrleansDashboardPage()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/dashboard", Ct);

        await AssertDashboardPageAsync(response);
    }

    [Fact]
    public async Task DashboardCounters_SessionCreated_ListTheSiloAndTheAgentSessionGrain()
    {
        await using var app = new GatewayApp(storage);
        using var client = app.CreateClient();
        await client.CreateSessionAsync();

        var silo = app.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();
        var counters = await WaitForCountersAsync(client, silo);

        var host = Assert.Single(counters.GetProperty("hosts").EnumerateArray());
        Assert.Equal(silo, host.GetProperty("siloAddress").GetString());
        Assert.Equal("Active", host.GetProperty("status").GetString());
        Assert.Equal(1, counters.GetProperty("totalActiveHostCount").GetInt32());
    }

    [Fact]
    public async Task Dashboard_StandaloneGateway_ServesTheClusterItIsAClientOf()
    {
        await using var silo = new GatewayApp(storage);
        using var siloClient = silo.CreateClient();
        var siloAddress = silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();
        await using var gateway = await NodeProcess.StartGatewayAsync(GatewaySettings(silo), Ct);
        using var http = new HttpClient { BaseAddress = gateway.Address };

        using var page = await http.GetAsync("/dashboard", Ct);
        await AssertDashboardPageAsync(page);

        // A session created through the gateway shows in the gateway's dashboard, read from the silo.
        await http.CreateSessionAsync();
        var counters = await WaitForCountersAsync(http, siloAddress);
        Assert.Contains(counters.GetProperty("hosts").EnumerateArray(), h => h.GetProperty("siloAddress").GetString() == siloAddress);
    }

    [Fact]
    public async Task Dashboard_Disabled_Returns404ProblemAndAddsNoGrainCallFilter()
    {
        await using var app = new GatewayApp(storage, new Dictionary<string, string?> { ["Dashboard:Enabled"] = "false" });
        using var client = app.CreateClient();

        using var page = await client.GetAsync("/dashboard", Ct);
        await GatewayHttp.AssertProblemAsync(page, HttpStatusCode.NotFound);
        using var counters = await client.GetAsync("/dashboard/DashboardCounters", Ct);
        await GatewayHttp.AssertProblemAsync(counters, HttpStatusCode.NotFound);
        // Off means off: no per-call instrumentation either.
        Assert.DoesNotContain(
            app.Services.GetServices<IIncomingGrainCallFilter>(),
            f => f.GetType().Namespace?.StartsWith("Orleans.Dashboard", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Dashboard_DisabledOnTheStandaloneGateway_Returns404Problem()
    {
        await using var silo = new GatewayApp(storage);
        using var siloClient = silo.CreateClient();
        await using var gateway = await NodeProcess.StartGatewayAsync(
            new Dictionary<string, string?>(GatewaySettings(silo)) { ["Dashboard:Enabled"] = "false" }, Ct);
        using var http = new HttpClient { BaseAddress = gateway.Address };

        using var page = await http.GetAsync("/dashboard", Ct);

        await GatewayHttp.AssertProblemAsync(page, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Trace_HideTrace_Returns403InsteadOfTheLiveLog()
    {
        await using var app = new GatewayApp(storage, new Dictionary<string, string?> { ["Dashboard:HideTrace"] = "true" });
        using var client = app.CreateClient();

        using var trace = await client.GetAsync("/dashboard/Trace", HttpCompletionOption.ResponseHeadersRead, Ct);

        // Checked before the body is read: a served live log would stream for an hour.
        Assert.Equal(HttpStatusCode.Forbidden, trace.StatusCode);
        await GatewayHttp.AssertProblemAsync(trace, HttpStatusCode.Forbidden);
    }

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public ValueTask DisposeAsync() => storage.DisposeAsync();

    /// <summary>A standalone gateway's settings: Localhost clustering through the silo's Orleans gateway port.</summary>
    private static Dictionary<string, string?> GatewaySettings(GatewayApp silo) => new()
    {
        ["Orleans:GatewayPort"] = silo.GatewayPort.ToString(CultureInfo.InvariantCulture),
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>The dashboard's single-page app: <c>/dashboard</c> redirects to <c>/dashboard/</c>, which serves its HTML.</summary>
    private static async Task AssertDashboardPageAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        Assert.Equal("/dashboard/", response.RequestMessage?.RequestUri?.AbsolutePath);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Orleans Dashboard</title>", body, StringComparison.Ordinal);
        Assert.Contains("index.min.js", body, StringComparison.Ordinal);
    }

    /// <summary>
    /// Reads <c>/dashboard/DashboardCounters</c> until it lists <paramref name="siloAddress"/> active and
    /// at least one activation of the agent-session grain on it (the dashboard refreshes its counters
    /// at most once a second, so its first answers may predate the session).
    /// </summary>
    private static async Task<JsonElement> WaitForCountersAsync(HttpClient http, string siloAddress)
    {
        var grainType = typeof(AgentSessionGrain).FullName;
        var deadline = DateTime.UtcNow + CountersTimeout;
        var last = "no answer";
        while (true)
        {
            using var response = await http.GetAsync("/dashboard/DashboardCounters", Ct);
            last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}";
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var counters = await GatewayHttp.ReadJsonAsync(response);
                var siloActive = counters.GetProperty("hosts").EnumerateArray().Any(h =>
                    h.GetProperty("siloAddress").GetString() == siloAddress && h.GetProperty("status").GetString() == "Active");
                var sessions = counters.GetProperty("simpleGrainStats").EnumerateArray().Any(g =>
                    g.GetProperty("grainType").GetString() == grainType
                    && g.GetProperty("siloAddress").GetString() == siloAddress
                    && g.GetProperty("activationCount").GetInt32() >= 1);
                if (siloActive && sessions)
                {
                    return counters;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"The dashboard's counters did not list silo {siloAddress} active with an activation of {grainType} within {CountersTimeout.TotalSeconds:0} s; last answer {last}");
            }

            await Task.Delay(200, Ct);
        }
    }
}
