using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentGrains.Storage;
using AgentGrains.Storage.Cluster;

namespace AgentGrains.Tests.Deploy;

/// <summary>docker-compose.yml, read statically and checked against the image and the configuration the programs read.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed partial class ComposeTests
{
    private static readonly string[] BackingServices = ["postgres", "redis"];

    private static readonly Lazy<JsonObject> File = new(() => Yaml.Document(RepositoryFiles.Read("docker-compose.yml")));

    private static JsonObject Services => File.Value["services"]!.AsObject();

    private static List<(string Name, JsonObject Service)> OfRole(string role) =>
        [.. Services.Where(s => Yaml.Items(s.Value!["command"]).Select(Yaml.Text).FirstOrDefault() == role).Select(s => (s.Key, s.Value!.AsObject()))];

    private static List<(string Name, JsonObject Service)> Silos => OfRole("silo");

    private static (string Name, JsonObject Service) Gateway => Assert.Single(OfRole("gateway"));

    [Fact]
    public void Services_ArePostgresRedisThreeSilosTheGatewayAndJaeger()
    {
        Assert.Equal("postgres:15", Yaml.Text(Services["postgres"]!["image"]));
        Assert.Equal("redis:7", Yaml.Text(Services["redis"]!["image"]));
        Assert.Equal(3, Silos.Count);
        Assert.Contains("jaeger", Yaml.Text(Services["jaeger"]!["image"]), StringComparison.Ordinal);
        foreach (var (name, service) in Silos.Append(Gateway))
        {
            // Built from the repository's Dockerfile, one image for both roles.
            Assert.Equal(".", Yaml.Text(service["build"]));
            Assert.StartsWith("agentgrains:", Yaml.Text(service["image"]), StringComparison.Ordinal);
            Assert.True(service["networks"] is not null, $"{name} joins the cluster network");
        }
    }

    [Fact]
    public void Silos_UsePostgreSqlStorageAndRedisMembershipWithTheirConnectionStrings()
    {
        foreach (var (name, service) in Silos)
        {
            var environment = Environment(service);
            Assert.Equal("PostgreSQL", environment[$"{StorageOptions.SectionName}__{nameof(StorageOptions.Provider)}"]);
            Assert.Equal("Redis", environment[ClusteringOptions.ProviderKey.Replace(":", "__", StringComparison.Ordinal)]);
            Assert.Contains("Host=postgres;", environment[$"ConnectionStrings__{StorageOptions.ConnectionStringName}"], StringComparison.Ordinal);
            Assert.Equal("redis:6379", environment[$"ConnectionStrings__{ClusteringOptions.RedisConnectionStringName}"]);
            Assert.Equal(ClusteringOptions.DefaultSiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture), environment["Orleans__SiloPort"]);
            Assert.True(environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"), $"{name} sets OTEL_EXPORTER_OTLP_ENDPOINT");
        }

        var gateway = Environment(Gateway.Service);
        Assert.Equal("Redis", gateway["Cluster__Provider"]);
        Assert.Equal("redis:6379", gateway["ConnectionStrings__Redis"]);
        Assert.StartsWith("http://jaeger:", gateway["OTEL_EXPORTER_OTLP_ENDPOINT"], StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_NamesOnlyKeysTheProgramsRead()
    {
        foreach (var (name, service) in Silos.Append(Gateway))
        {
            foreach (var variable in Environment(service).Keys)
            {
                Assert.True(AppConfiguration.Reads(variable), $"{name}: {variable} ({AppConfiguration.KeyOf(variable)}) is no key the programs read");
            }
        }
    }

    [Fact]
    public void Silos_AdvertiseDistinctAddressesTheyHaveOnTheClusterNetwork()
    {
        var subnet = Yaml.Text(Yaml.Items(File.Value["networks"]!["cluster"]!["ipam"]!["config"]).Single()["subnet"])!;
        var network = IPNetwork.Parse(subnet);
        var advertised = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (name, service) in Silos)
        {
            var address = Environment(service)["Orleans__AdvertisedIP"];
            Assert.True(advertised.Add(address), $"{name} advertises {address}, as another silo does");
            Assert.Equal(address, Yaml.Text(service["networks"]!["cluster"]!["ipv4_address"]));
            Assert.True(network.Contains(IPAddress.Parse(address)), $"{name}'s {address} is outside {subnet}");
        }
    }

    [Fact]
    public void HealthChecks_GuardEveryDependency()
    {
        foreach (var name in BackingServices.Concat(Silos.Select(s => s.Name)).Append(Gateway.Name))
        {
            Assert.True(Services[name]!["healthcheck"]?["test"] is JsonArray, $"{name} has a health check");
        }

        foreach (var (name, service) in Silos.Append(Gateway))
        {
            // Ready means an active member (silo) or an active silo seen (gateway): what a dependant needs.
            Assert.Equal(["CMD", "agentgrains", "probe", "/readyz"], Yaml.Items(service["healthcheck"]!["test"]).Select(Yaml.Text));
        }

        foreach (var (name, service) in Services.Select(s => (s.Key, s.Value!)))
        {
            foreach (var (dependency, condition) in Yaml.Entries(service["depends_on"]))
            {
                Assert.Equal("service_healthy", Yaml.Text(condition!["condition"]));
                Assert.True(Services[dependency]!["healthcheck"] is not null, $"{name} waits for {dependency}, which has no health check");
            }
        }

        foreach (var (name, service) in Silos)
        {
            Assert.Equal(["postgres", "redis"], Yaml.Entries(service["depends_on"]).Select(e => e.Key).Order(StringComparer.Ordinal));
        }

        Assert.Equal(Silos.Select(s => s.Name).Order(StringComparer.Ordinal), Yaml.Entries(Gateway.Service["depends_on"]).Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void StopGracePeriod_CoversTheGracefulShutdown()
    {
        foreach (var (name, service) in Silos.Append(Gateway))
        {
            var environment = Environment(service);
            var shutdown = environment.TryGetValue("DOTNET_SHUTDOWNTIMEOUTSECONDS", out var own)
                ? int.Parse(own, System.Globalization.CultureInfo.InvariantCulture)
                : DockerfileTests.ShutdownTimeoutSeconds;
            var grace = Seconds(Yaml.Text(service["stop_grace_period"]) ?? "10s");
            Assert.True(grace >= shutdown + 5, $"{name}: stop_grace_period {grace} s leaves no margin over the {shutdown} s shutdown timeout");
        }
    }

    [Fact]
    public void Ports_PublishTheGatewaysHttpPortAndJaegersUi()
    {
        var published = Yaml.Items(Gateway.Service["ports"]).Select(Yaml.Text).ToList();

        Assert.Contains(published, p => p!.EndsWith($":{DockerfileTests.HttpPort}", StringComparison.Ordinal));
        Assert.Contains("127.0.0.1:16686:16686", Yaml.Items(Services["jaeger"]!["ports"]).Select(Yaml.Text));
    }

    [Fact]
    public void Ports_ArePublishedOnTheHostsLoopbackOnly()
    {
        foreach (var (name, service) in Services.Select(s => (s.Key, s.Value!)))
        {
            foreach (var port in Yaml.Items(service["ports"]))
            {
                // "host-ip:host-port:container-port" (short syntax) or host_ip (long syntax).
                var hostIp = port is JsonObject entry ? Yaml.Text(entry["host_ip"]) : Yaml.Text(port)!.Split(':')[0];
                Assert.True(hostIp == "127.0.0.1", $"{name} publishes {port.ToJsonString()} beyond the host's loopback");
            }
        }
    }

    [Fact]
    public void Identity_SilosAndTheGatewayServeOpenWithNoApiKeys()
    {
        // The image listens on every interface, where a program without API keys refuses to start unless allowed to:
        // the local cluster is open, and publishes on loopback only (above).
        foreach (var (name, service) in Silos.Append(Gateway))
        {
            var environment = Environment(service);
            Assert.True(environment.TryGetValue("Gateway__AllowAnonymous", out var open) && open == "true", $"{name} sets Gateway__AllowAnonymous=true");
            Assert.DoesNotContain(environment.Keys, v => v.StartsWith("Gateway__ApiKeys__", StringComparison.Ordinal));
        }

        Assert.Contains("OPEN ON LOOPBACK", RepositoryFiles.Read("docker-compose.yml"), StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_OnlyTheMarkedDevDefaultPasswordIsWritten()
    {
        var text = RepositoryFiles.Read("docker-compose.yml");

        Assert.Contains("DEV DEFAULT PASSWORD", text, StringComparison.Ordinal);
        var withoutComments = string.Join('\n', text.Split('\n').Select(line => Comment().Replace(line, "")));
        foreach (Match password in PasswordValue().Matches(withoutComments))
        {
            Assert.StartsWith("${POSTGRES_PASSWORD:-", password.Groups["value"].Value, StringComparison.Ordinal);
        }

        Assert.StartsWith("${POSTGRES_PASSWORD:-", Yaml.Text(Services["postgres"]!["environment"]!["POSTGRES_PASSWORD"]), StringComparison.Ordinal);
        foreach (var (name, service) in Silos)
        {
            Assert.Equal("${OPENAI_API_KEY:-}", Environment(service)["OPENAI_API_KEY"]);
        }
    }

    private static Dictionary<string, string> Environment(JsonObject service) =>
        Yaml.Entries(service["environment"]).ToDictionary(e => e.Key, e => Yaml.Text(e.Value) ?? "", StringComparer.Ordinal);

    private static int Seconds(string duration)
    {
        var match = Duration().Match(duration);
        Assert.True(match.Success, $"'{duration}' is not a duration this test reads");
        var value = int.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value == "m" ? value * 60 : value;
    }

    [GeneratedRegex(@"^(?<value>\d+)(?<unit>s|m)$")]
    private static partial Regex Duration();

    [GeneratedRegex(@"(^|\s)#.*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"(?i:password)[=:]\s*(?<value>[^;\s#]+)")]
    private static partial Regex PasswordValue();
}
