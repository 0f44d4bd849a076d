using System.Net;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>Per-tenant request rates: a tenant past its bucket gets 429 with Retry-After; other tenants and probes do not notice.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class RateLimitTests : IAsyncLifetime
{
    private static readonly string AcmeKey = SecretWatch.Register("RateLimitTests.AcmeKey", "acme-key-0123456789");
    private static readonly string GlobexKey = SecretWatch.Register("RateLimitTests.GlobexKey", "globex-key-0123456789");

    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();
    private GatewayApp? app;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        app = new GatewayApp(storage, new Dictionary<string, string?>
        {
            ["Gateway:ApiKeys:acme:Hash"] = ApiKeyAuthenticationHandler.Hash(AcmeKey),
            ["Gateway:ApiKeys:acme:Tenant"] = "acme",
            ["Gateway:ApiKeys:globex:Hash"] = ApiKeyAuthenticationHandler.Hash(GlobexKey),
            ["Gateway:ApiKeys:globex:Tenant"] = "globex",
            // Acme: 3 requests, then one every 100 s (no refill during the test); everyone else unlimited.
            ["Tenants:acme:RateLimit:PermitsPerSecond"] = "0.01",
            ["Tenants:acme:RateLimit:Burst"] = "3",
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        await storage.DisposeAsync();
    }

    [Fact]
    public async Task TenantPastItsBurst_Gets429WithRetryAfter_OthersAndProbesDoNot()
    {
        using var acme = Client(AcmeKey);
        using var globex = Client(GlobexKey);

        for (var i = 0; i < 3; i++)
        {
            using var allowed = await acme.GetAsync("/v1/agents", Ct);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var limited = await acme.GetAsync("/v1/agents", Ct);
        var problem = await GatewayHttp.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 100);
        Assert.Contains("Retry-After", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        for (var i = 0; i < 10; i++)
        {
            using var other = await globex.GetAsync("/v1/agents", Ct);
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        using var probes = app!.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await probes.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync("/healthz", Ct)).StatusCode);
    }

    private HttpClient Client(string key)
    {
        var client = app!.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + key);
        return client;
    }
}
