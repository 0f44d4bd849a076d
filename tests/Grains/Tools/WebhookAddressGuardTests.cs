using System.Net;
using AgentGrains.Grains.Tools;

namespace AgentGrains.Tests.Grains.Tools;

/// <summary>The <c>notify</c> tool's address filter and connect path, with an injected resolver and socket.</summary>
public sealed class WebhookAddressGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.0.1")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fe80::1%2")]
    [InlineData("febf::1")]
    [InlineData("fec0::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456:789a::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::127.0.0.1")]
    [InlineData("::93.184.216.34")]
    [InlineData("64:ff9b::a00:1")]
    [InlineData("64:ff9b::169.254.169.254")]
    [InlineData("64:ff9b:1::1")]
    public void IsAllowed_LoopbackLinkLocalPrivateOrReserved_IsFalse(string address)
    {
        Assert.False(WebhookAddressGuard.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("169.253.255.255")]
    [InlineData("192.169.0.1")]
    [InlineData("11.0.0.1")]
    [InlineData("223.255.255.255")]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:93.184.216.34")]
    [InlineData("64:ff9b::5db8:d822")]
    public void IsAllowed_PublicAddress_IsTrue(string address)
    {
        Assert.True(WebhookAddressGuard.IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public async Task ResolveAllowedAsync_NameResolvingToLoopback_IsRefusedNamingTheSetting()
    {
        var guard = new WebhookAddressGuard(Resolver(["127.0.0.1"]));

        var refused = await Assert.ThrowsAsync<WebhookAddressRefusedException>(() => guard.ResolveAllowedAsync("hooks.example.com", Ct));

        Assert.Contains("127.0.0.1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Tools:Notify:AllowPrivateNetworks=true", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hooks.example.com", refused.Message, StringComparison.Ordinal);
        Assert.False(refused.IsTransient);
    }

    [Fact]
    public async Task ResolveAllowedAsync_NameResolvingToBlockedAndAllowed_KeepsOnlyTheAllowed()
    {
        var guard = new WebhookAddressGuard(Resolver(["10.0.0.1", "93.184.216.34", "::1", "2606:2800:220:1:248:1893:25c8:1946", "169.254.169.254"]));

        var allowed = await guard.ResolveAllowedAsync("hooks.example.com", Ct);

        Assert.Equal([IPAddress.Parse("93.184.216.34"), IPAddress.Parse("2606:2800:220:1:248:1893:25c8:1946")], allowed);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("169.254.169.254")]
    public async Task ResolveAllowedAsync_PrivateLiteral_IsRefusedWithoutAskingTheResolver(string host)
    {
        var guard = new WebhookAddressGuard((_, _) => throw new InvalidOperationException("a literal is not resolved"));

        await Assert.ThrowsAsync<WebhookAddressRefusedException>(() => guard.ResolveAllowedAsync(host, Ct));
    }

    [Fact]
    public async Task ResolveAllowedAsync_NameWithNoAddress_IsRefused()
    {
        var guard = new WebhookAddressGuard(Resolver([]));

        var refused = await Assert.ThrowsAsync<WebhookAddressRefusedException>(() => guard.ResolveAllowedAsync("hooks.example.com", Ct));

        Assert.Contains("none found", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_NameResolvingToBlockedAndAllowed_ConnectsToTheAllowedOnly()
    {
        var connects = new List<(IPAddress[] Addresses, int Port)>();
        var guard = new WebhookAddressGuard(Resolver(["127.0.0.1", "93.184.216.34"]), Recording(connects));

        await using var stream = await guard.ConnectAsync(new DnsEndPoint("hooks.example.com", 443), Ct);

        var connect = Assert.Single(connects);
        Assert.Equal([IPAddress.Parse("93.184.216.34")], connect.Addresses);
        Assert.Equal(443, connect.Port);
    }

    /// <summary>DNS rebinding: the name is public on one lookup and loopback on the next; the check is made on each connection's own lookup.</summary>
    [Fact]
    public async Task ConnectAsync_NameRebindingToLoopback_RefusesTheConnectionThatWouldReachIt()
    {
        var answers = new Queue<IPAddress[]>([[IPAddress.Parse("93.184.216.34")], [IPAddress.Loopback]]);
        var connects = new List<(IPAddress[] Addresses, int Port)>();
        var guard = new WebhookAddressGuard((_, _) => Task.FromResult(answers.Dequeue()), Recording(connects));

        await using (await guard.ConnectAsync(new DnsEndPoint("rebind.example.com", 80), Ct))
        {
        }

        await Assert.ThrowsAsync<WebhookAddressRefusedException>(async () => await guard.ConnectAsync(new DnsEndPoint("rebind.example.com", 80), Ct));
        Assert.Equal([IPAddress.Parse("93.184.216.34")], Assert.Single(connects).Addresses);
    }

    [Fact]
    public async Task CreateHandler_Guarded_AnHttpRequestToANameResolvingToLoopbackNeverConnects()
    {
        var connects = new List<(IPAddress[] Addresses, int Port)>();
        using var client = new HttpClient(WebhookAddressGuard.CreateHandler(allowPrivateNetworks: false, new WebhookAddressGuard(Resolver(["127.0.0.1"]), Recording(connects))));

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(new Uri("http://rebind.example.com/hook"), new StringContent("x"), Ct));

        Assert.IsType<WebhookAddressRefusedException>(failure.InnerException);
        Assert.Empty(connects);
    }

    [Fact]
    public void CreateHandler_UsesNoProxyAndConnectsThroughTheGuardUnlessPrivateNetworksAreAllowed()
    {
        using var guarded = WebhookAddressGuard.CreateHandler(allowPrivateNetworks: false);
        using var open = WebhookAddressGuard.CreateHandler(allowPrivateNetworks: true);

        Assert.False(guarded.UseProxy);
        Assert.NotNull(guarded.ConnectCallback);
        Assert.False(open.UseProxy);
        Assert.Null(open.ConnectCallback);
    }

    private static Func<string, CancellationToken, Task<IPAddress[]>> Resolver(string[] addresses) =>
        (_, _) => Task.FromResult(addresses.Select(IPAddress.Parse).ToArray());

    // Stops at "would connect to": records the addresses and hands back an empty stream, so nothing leaves the machine.
    private static Func<IPAddress[], int, CancellationToken, ValueTask<Stream>> Recording(List<(IPAddress[] Addresses, int Port)> connects) =>
        (addresses, port, _) =>
        {
            connects.Add((addresses, port));
            return ValueTask.FromResult<Stream>(new MemoryStream());
        };
}
