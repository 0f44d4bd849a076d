using AgentGrains.Storage.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace AgentGrains.Tests.Deploy;

/// <summary><c>Orleans:Kubernetes</c>: Orleans' Kubernetes hosting on a silo that asks for it, and nothing of it anywhere else.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class KubernetesHostingSwitchTests
{
    private static readonly Dictionary<string, string?> RedisCluster = new()
    {
        ["Cluster:Provider"] = "Redis",
        ["ConnectionStrings:Redis"] = "redis:6379",
        ["Orleans:ClusterId"] = "blue",
        ["Orleans:ServiceId"] = "agents",
    };

    [Fact]
    public void UseAgentGrainsClustering_WithoutTheSwitch_RegistersNothingOfKubernetes()
    {
        // Even inside a pod: the switch, not the environment, decides.
        using var host = BuildSilo(new(RedisCluster) { ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1" });

        Assert.DoesNotContain(KubernetesParts(host), name => name.Contains("Kubernetes", StringComparison.Ordinal));
        Assert.False(host.Services.GetRequiredService<IOptions<ClusteringOptions>>().Value.Kubernetes);
    }

    [Fact]
    public void UseAgentGrainsClustering_SwitchOnInAPod_AddsOrleansKubernetesHostingAndKeepsTheConfiguredIds()
    {
        using var host = BuildSilo(new(RedisCluster) { ["Orleans:Kubernetes"] = "true", ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1" });

        // (Its cluster agent, a lifecycle participant, is left unresolved: it needs a real API server.)
        Assert.Equal(2, KubernetesParts(host).Count(name => name == "ConfigureKubernetesHostingOptions"));
        Assert.True(host.Services.GetRequiredService<IOptions<ClusteringOptions>>().Value.Kubernetes);
        var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("blue", "agents"), (cluster.ClusterId, cluster.ServiceId));
    }

    [Fact]
    public void UseAgentGrainsClustering_SwitchOnInAPod_AdvertisesThePodsAddressUnlessOneIsConfigured()
    {
        var pod = new Dictionary<string, string?>(RedisCluster) { ["Orleans:Kubernetes"] = "true", ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1", ["POD_IP"] = "10.244.1.7" };
        using var host = BuildSilo(pod);
        using var configured = BuildSilo(new(pod) { ["Orleans:AdvertisedIP"] = "10.0.0.9" });
        using var outside = BuildSilo(new(RedisCluster) { ["POD_IP"] = "10.244.1.7" });

        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(System.Net.IPAddress.Parse("10.244.1.7"), endpoints.AdvertisedIPAddress);
        // Orleans' Kubernetes hosting listens on every interface.
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 11111), endpoints.SiloListeningEndpoint);
        Assert.Equal(System.Net.IPAddress.Parse("10.0.0.9"), configured.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.AdvertisedIPAddress);
        Assert.NotEqual(System.Net.IPAddress.Parse("10.244.1.7"), outside.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.AdvertisedIPAddress);
    }

    [Fact]
    public void UseAgentGrainsClustering_SwitchOnOutsideAPod_IsRefusedWithTheFix()
    {
        using var host = BuildSilo(new(RedisCluster) { ["Orleans:Kubernetes"] = "true" });

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ClusteringOptions>>().Value);
        Assert.Contains("Orleans:Kubernetes is true but this process does not run in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseAgentGrainsClustering_SwitchOnWithLocalhostMembership_IsRefusedWithTheFix()
    {
        using var host = BuildSilo(new() { ["Orleans:Kubernetes"] = "true", ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1" });

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ClusteringOptions>>().Value);
        var failure = Assert.Single(error.Failures);
        Assert.Contains("set Cluster:Provider to Redis or AdoNet", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void UseAgentGrainsClustering_ClientWithTheSwitch_IgnoresIt()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(RedisCluster) { ["Orleans:Kubernetes"] = "true" });
        builder.UseOrleansClient(client => client.UseAgentGrainsClustering(builder.Configuration));
        using var host = builder.Build();

        Assert.False(host.Services.GetRequiredService<IOptions<ClusteringOptions>>().Value.Kubernetes);
    }

    private static List<string> KubernetesParts(IHost host) =>
        [
            .. host.Services.GetServices<IConfigureOptions<SiloOptions>>().Select(p => p.GetType().Name),
            .. host.Services.GetServices<IPostConfigureOptions<EndpointOptions>>().Select(p => p.GetType().Name),
        ];

    private static IHost BuildSilo(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => silo.UseAgentGrainsClustering(builder.Configuration));
        return builder.Build();
    }
}
