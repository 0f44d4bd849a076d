using System.Net;
using AgentGrains.Storage.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Runtime;

namespace AgentGrains.Tests.Storage.Cluster;

/// <summary>What <c>UseAgentGrainsClustering</c> hands Orleans, read from built silo and client hosts (none is started unless the test is about start-up).</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ClusteringHostingTests
{
    [Fact]
    public void UseAgentGrainsClustering_NoSettings_UsesLocalhostDefaultsAndTunedFailureDetection()
    {
        using var host = BuildSilo([]);

        var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("agentgrains", "agentgrains"), (cluster.ClusterId, cluster.ServiceId));
        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal((11111, 30000, IPAddress.Loopback), (endpoints.SiloPort, endpoints.GatewayPort, endpoints.AdvertisedIPAddress));
        var membership = host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(1), membership.ProbeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), membership.MaxProbeTimeout);
        Assert.Equal(2, membership.NumMissedProbesLimit);
        Assert.Equal(2, membership.NumVotesForDeathDeclaration); // Orleans' own, kept on purpose (FailureDetectionDefaults)
        Assert.Equal(TimeSpan.FromSeconds(2), membership.TableRefreshTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), membership.IAmAliveTablePublishTimeout);
    }

    [Fact]
    public void UseAgentGrainsClustering_RedisWithIdsPortsAndAddress_HandsThemToOrleans()
    {
        using var host = BuildSilo(new()
        {
            ["Cluster:Provider"] = "redis",
            ["ConnectionStrings:Redis"] = "redis.internal:6380,password=secret",
            ["Orleans:ClusterId"] = "blue",
            ["Orleans:ServiceId"] = "agents",
            ["Orleans:SiloPort"] = "21111",
            ["Orleans:GatewayPort"] = "31111",
            ["Orleans:AdvertisedIP"] = "10.1.2.3",
        });

        var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("blue", "agents"), (cluster.ClusterId, cluster.ServiceId));
        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal((21111, 31111, IPAddress.Parse("10.1.2.3")), (endpoints.SiloPort, endpoints.GatewayPort, endpoints.AdvertisedIPAddress));
        var redis = host.Services.GetRequiredService<IOptions<RedisClusteringOptions>>().Value.ConfigurationOptions;
        Assert.NotNull(redis);
        Assert.Equal(new DnsEndPoint("redis.internal", 6380), Assert.Single(redis.EndPoints));
        Assert.Equal("RedisMembershipTable", host.Services.GetRequiredService<IMembershipTable>().GetType().Name);
    }

    [Fact]
    public void UseAgentGrainsClustering_RedisWithoutAdvertisedIP_LeavesTheAddressToOrleans()
    {
        using var host = BuildSilo(new() { ["Cluster:Provider"] = "Redis", ["ConnectionStrings:Redis"] = "redis:6379" });
        var plainBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        plainBuilder.UseOrleans(silo => silo.UseRedisClustering("redis:6379"));
        using var plain = plainBuilder.Build();

        // Orleans picks one of the host's addresses; loopback (Localhost's choice) would make the silo unreachable from other machines.
        Assert.Equal(
            plain.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.AdvertisedIPAddress,
            host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.AdvertisedIPAddress);
    }

    [Fact]
    public void UseAgentGrainsClustering_MembershipConfigurationAndCode_OverrideTheDefaults()
    {
        using var host = BuildSilo(
            new()
            {
                ["Orleans:Membership:ProbeTimeout"] = "00:00:03",
                ["Orleans:Membership:MaxProbeTimeout"] = "00:00:12",
            },
            before: silo => silo.Configure<ClusterMembershipOptions>(o => o.NumMissedProbesLimit = 4),
            after: silo => silo.Configure<ClusterMembershipOptions>(o => o.TableRefreshTimeout = TimeSpan.FromSeconds(10)));

        var membership = host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(3), membership.ProbeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12), membership.MaxProbeTimeout);
        Assert.Equal(4, membership.NumMissedProbesLimit);
        Assert.Equal(TimeSpan.FromSeconds(10), membership.TableRefreshTimeout);
        // What nobody overrode keeps the project's default.
        Assert.Equal(TimeSpan.FromSeconds(5), membership.IAmAliveTablePublishTimeout);
    }

    [Fact]
    public void UseAgentGrainsClustering_ProbeTimeoutRaisedAlone_IsRefusedWithTheKeyToSet()
    {
        using var host = BuildSilo(new() { ["Orleans:Membership:ProbeTimeout"] = "00:00:05" });

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value);
        Assert.Contains("set Orleans:Membership:MaxProbeTimeout to at least ProbeTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseAgentGrainsClustering_OrleansOwnEndpointKeysDisagree_AreRefusedNotSilentlyReplaced()
    {
        using var host = BuildSilo(new()
        {
            ["Orleans:Endpoints:SiloPort"] = "2000",
            ["Orleans:Endpoints:GatewayPort"] = "30000",
            ["Orleans:Endpoints:AdvertisedIPAddress"] = "10.0.0.1",
            ["Orleans:AdvertisedIP"] = "10.0.0.2",
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ClusteringOptions>>().Value);
        Assert.Equal(2, error.Failures.Count());
        Assert.Contains("Orleans:Endpoints:SiloPort is 2000 but Orleans:SiloPort is 11111", error.Message, StringComparison.Ordinal);
        Assert.Contains("set the address in Orleans:AdvertisedIP and remove Orleans:Endpoints:AdvertisedIPAddress", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_SiloOnRedisWithoutConnectionString_FailsWithTheFix()
    {
        using var host = BuildSilo(new() { ["Cluster:Provider"] = "Redis" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("ConnectionStrings:Redis is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_SiloWithUnknownProviderAndBadPort_ReportsBothWithTheirFixes()
    {
        using var host = BuildSilo(new() { ["Cluster:Provider"] = "Mongo", ["Orleans:SiloPort"] = "0" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Cluster:Provider is 'Mongo'; set it to Localhost", error.Message, StringComparison.Ordinal);
        Assert.Contains("Orleans:SiloPort is 0; set it to a free TCP port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseAgentGrainsClustering_ClientOnLocalhost_ConnectsToTheGatewayPortOnLoopback()
    {
        using var host = BuildClient(new() { ["Orleans:GatewayPort"] = "31000", ["Orleans:ClusterId"] = "blue" });

        var gateways = host.Services.GetRequiredService<IOptions<StaticGatewayListProviderOptions>>().Value.Gateways;
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 31000), Assert.Single(gateways).ToIPEndPoint());
        Assert.Equal("blue", host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId);
    }

    [Fact]
    public void UseAgentGrainsClustering_ClientOnRedis_ReadsGatewaysFromTheMembershipTable()
    {
        using var host = BuildClient(new() { ["Cluster:Provider"] = "Redis", ["ConnectionStrings:Redis"] = "redis.internal:6380" });

        Assert.Equal("RedisGatewayListProvider", host.Services.GetRequiredService<IGatewayListProvider>().GetType().Name);
        var redis = host.Services.GetRequiredService<IOptions<RedisClusteringOptions>>().Value.ConfigurationOptions;
        Assert.Equal(new DnsEndPoint("redis.internal", 6380), Assert.Single(redis!.EndPoints));
    }

    [Fact]
    public async Task StartAsync_ClientOnRedisWithoutConnectionString_FailsWithTheFix()
    {
        using var host = BuildClient(new() { ["Cluster:Provider"] = "Redis" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("ConnectionStrings:Redis is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_AdoNetMembershipOnTheSqliteDefault_FailsWithTheFix()
    {
        using var host = BuildSilo(new() { ["Cluster:Provider"] = "AdoNet" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("set Storage:Provider to PostgreSQL", error.Message, StringComparison.Ordinal);
    }

    private static IHost BuildSilo(Dictionary<string, string?> settings, Action<ISiloBuilder>? before = null, Action<ISiloBuilder>? after = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo =>
        {
            before?.Invoke(silo);
            silo.UseAgentGrainsClustering(builder.Configuration);
            after?.Invoke(silo);
        });
        return builder.Build();
    }

    private static IHost BuildClient(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleansClient(client => client.UseAgentGrainsClustering(builder.Configuration));
        return builder.Build();
    }
}
