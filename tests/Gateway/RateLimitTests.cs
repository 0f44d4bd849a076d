using System.Net;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>Per-tenant request rates: a tenant past its bucket gets 429 with Retry-After; other tenants and probes do not notice.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class RateLimitTests : KeyedGatewayTest
{
    private static readonly string AcmeKey = SecretWatch.Register("RateLimitTests.AcmeKey", "acme-key-0123456789");
    private static readonly string GlobexKey = SecretWatch.Register("RateLimitTests.GlobexKey", "globex-key-0123456789");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(
        Key("acme", AcmeKey, "acme").Concat(Key("globex", GlobexKey, "globex")))
    {
        // Acme: 3 requests, then one every 100 s (no refill during the test); everyone else unlimited.
        ["Tenants:acme:RateLimit:PermitsPerSecond"] = "0.01",
        ["Tenants:acme:RateLimit:Burst"] = "3",
    };

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

        using var probes = App.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await probes.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync("/healthz", Ct)).StatusCode);
    }
}
