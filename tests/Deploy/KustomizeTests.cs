using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentGrains.Client.Gateway;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Storage.Cluster;
using Microsoft.Extensions.Configuration;
using Orleans.Hosting.Kubernetes;

namespace AgentGrains.Tests.Deploy;

/// <summary>
/// The Kubernetes overlays as <c>kubectl kustomize</c> renders them, checked against Orleans' Kubernetes hosting, the image
/// (Dockerfile) and the configuration the programs read. No cluster is needed.
/// </summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed partial class KustomizeTests
{
    private const string SiloDeployment = "agentgrains-silo";
    private const string GatewayDeployment = "agentgrains-gateway";
    private const string ApiKeysSecret = "agentgrains-api-keys";

    // The dev overlay's API key, documented in its kustomization and docs/cluster.md; only its hash is in the Secret.
    private const string DevApiKey = "dev-admin-key";
    private static readonly string[] ProbeKinds = ["readinessProbe", "livenessProbe", "startupProbe"];
    private static readonly HashSet<string> KustomizeV2Fields = new(StringComparer.Ordinal)
    {
        "apiVersion", "kind", "namespace", "namePrefix", "nameSuffix", "bases", "resources", "images", "secretGenerator", "configMapGenerator",
        "generatorOptions", "commonLabels", "commonAnnotations", "patchesJson6902", "patchesStrategicMerge",
    };

    private static readonly string[] PodVerbs = ["get", "list", "watch", "patch"];
    private static readonly string[] SecretVariables = ["ConnectionStrings__AgentGrains", "ConnectionStrings__Redis", "OPENAI_API_KEY", "Model__ApiKey"];

    public static TheoryData<string> Overlays => new() { "k8s/overlays/dev", "k8s/overlays/prod" };

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task SiloDeployment_FollowsOrleansKubernetesHostingConventions(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);
        var silo = Find(objects, "Deployment", SiloDeployment);
        var labels = PodLabels(silo);
        var env = Env(Container(silo));

        // The silos of one cluster are the pods with both labels; they must name the ids the silo runs with.
        Assert.Equal(Value(env, "Orleans__ServiceId"), labels[KubernetesHostingOptions.ServiceIdLabel]);
        Assert.Equal(Value(env, "Orleans__ClusterId"), labels[KubernetesHostingOptions.ClusterIdLabel]);
        Assert.Equal("true", Value(env, "Orleans__Kubernetes"));
        Assert.Equal("metadata.name", FieldRef(env, KubernetesHostingOptions.PodNameEnvironmentVariable));
        Assert.Equal("metadata.namespace", FieldRef(env, KubernetesHostingOptions.PodNamespaceEnvironmentVariable));
        Assert.Equal("status.podIP", FieldRef(env, KubernetesHostingOptions.PodIPEnvironmentVariable));
        // $(POD_IP) expands only when POD_IP is defined earlier in the list.
        Assert.Equal("$(POD_IP)", Value(env, "Orleans__AdvertisedIP"));
        var names = env.Keys.ToList();
        Assert.True(names.IndexOf("POD_IP") < names.IndexOf("Orleans__AdvertisedIP"), "POD_IP is defined before Orleans__AdvertisedIP uses it");
        Assert.NotEqual(nameof(ClusterProvider.Localhost), Value(env, "Cluster__Provider"));
        Assert.Equal(["silo"], Yaml.Items(Container(silo)["args"]).Select(Yaml.Text));

        // The gateway is no silo: the silos' pod watch must not see it.
        var gatewayLabels = PodLabels(Find(objects, "Deployment", GatewayDeployment));
        Assert.False(gatewayLabels.ContainsKey(KubernetesHostingOptions.ServiceIdLabel) || gatewayLabels.ContainsKey(KubernetesHostingOptions.ClusterIdLabel));
        Assert.Equal(["gateway"], Yaml.Items(Container(Find(objects, "Deployment", GatewayDeployment))["args"]).Select(Yaml.Text));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Rbac_LetsTheSilosServiceAccountReadWatchAndLabelPods(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);
        var silo = Find(objects, "Deployment", SiloDeployment);
        var account = Yaml.Text(silo["spec"]!["template"]!["spec"]!["serviceAccountName"]);
        Assert.NotNull(account);
        Find(objects, "ServiceAccount", account);
        var ns = Yaml.Text(silo["metadata"]!["namespace"]);

        var binding = Assert.Single(objects, o => Kind(o) == "RoleBinding" && Yaml.Items(o["subjects"])
            .Any(s => Yaml.Text(s["kind"]) == "ServiceAccount" && Yaml.Text(s["name"]) == account && (Yaml.Text(s["namespace"]) ?? ns) == ns));
        Assert.Equal("Role", Yaml.Text(binding["roleRef"]!["kind"]));
        var role = Find(objects, "Role", Yaml.Text(binding["roleRef"]!["name"])!);

        var podRules = Yaml.Items(role["rules"])
            .Where(r => Yaml.Items(r["apiGroups"]).Select(Yaml.Text).Contains("") && Yaml.Items(r["resources"]).Select(Yaml.Text).Contains("pods"))
            .ToList();
        var verbs = podRules.SelectMany(r => Yaml.Items(r["verbs"]).Select(Yaml.Text)).ToHashSet(StringComparer.Ordinal);
        // Orleans' agent reads and patches its own pod's labels, lists its cluster's pods and watches them.
        Assert.Superset(PodVerbs.ToHashSet(StringComparer.Ordinal), verbs!);
        Assert.DoesNotContain("*", verbs);
        Assert.All(Yaml.Items(role["rules"]), rule => Assert.DoesNotContain("*", Yaml.Items(rule["resources"]).Select(Yaml.Text)));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Silos_SpreadAcrossNodesAndADisruptionBudgetSelectsThem(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);
        var silo = Find(objects, "Deployment", SiloDeployment);
        var labels = PodLabels(silo);
        var gatewayLabels = PodLabels(Find(objects, "Deployment", GatewayDeployment));

        var spread = Assert.Single(Yaml.Items(silo["spec"]!["template"]!["spec"]!["topologySpreadConstraints"]),
            c => Yaml.Text(c["topologyKey"]) == "kubernetes.io/hostname");
        Assert.Equal(1, Yaml.Int(spread["maxSkew"]));
        Assert.True(Selects(spread["labelSelector"], labels), "the spread constraint counts the silo pods");

        var budget = Assert.Single(objects, o => Kind(o) == "PodDisruptionBudget" && Selects(o["spec"]!["selector"], labels));
        Assert.False(Selects(budget["spec"]!["selector"], gatewayLabels), "the silos' budget counts silos only");
        Assert.Equal(1, Yaml.Int(budget["spec"]!["maxUnavailable"]));
        Assert.True(Selects(silo["spec"]!["selector"], labels));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Autoscaler_ScalesTheSiloDeploymentOnCpu(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);

        var hpa = Assert.Single(objects, o => Kind(o) == "HorizontalPodAutoscaler");
        Assert.Equal("autoscaling/v2", Yaml.Text(hpa["apiVersion"]));
        Assert.Equal(("Deployment", SiloDeployment), (Yaml.Text(hpa["spec"]!["scaleTargetRef"]!["kind"]), Yaml.Text(hpa["spec"]!["scaleTargetRef"]!["name"])));
        Assert.Contains(Yaml.Items(hpa["spec"]!["metrics"]), m => Yaml.Text(m["type"]) == "Resource" && Yaml.Text(m["resource"]!["name"]) == "cpu");
        // Utilization is relative to the request, and the budget lets one silo go at a time: at least two stay.
        Assert.NotNull(Container(Find(objects, "Deployment", SiloDeployment))["resources"]?["requests"]?["cpu"]);
        Assert.True(Yaml.Int(hpa["spec"]!["minReplicas"]) >= 2);
        Assert.True(Yaml.Int(hpa["spec"]!["maxReplicas"]) >= Yaml.Int(hpa["spec"]!["minReplicas"]));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Probes_AskReadyzAndHealthzOnTheContainersHttpPort(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);

        foreach (var name in new[] { SiloDeployment, GatewayDeployment })
        {
            var container = Container(Find(objects, "Deployment", name));
            var httpPort = HttpPort(container);
            Assert.Equal(DockerfileTests.HttpPort, httpPort);
            Assert.Contains(httpPort, ContainerPorts(container).Values);

            Assert.Equal("/readyz", Yaml.Text(container["readinessProbe"]!["httpGet"]!["path"]));
            Assert.Equal("/healthz", Yaml.Text(container["livenessProbe"]!["httpGet"]!["path"]));
            foreach (var probe in ProbeKinds.Where(p => container[p] is not null))
            {
                Assert.Equal(httpPort, ResolvePort(container, container[probe]!["httpGet"]!["port"]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task ImagesAndPorts_MatchTheDockerfileAndTheSilosConfiguration(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);
        var composeImage = Yaml.Text(Yaml.Document(RepositoryFiles.Read("docker-compose.yml"))["x-agentgrains"]!["image"])!;

        foreach (var name in new[] { SiloDeployment, GatewayDeployment })
        {
            var container = Container(Find(objects, "Deployment", name));
            Assert.Equal(ImageName(composeImage), ImageName(Yaml.Text(container["image"])!));
            Assert.Subset(DockerfileTests.Image.ExposedPorts.ToHashSet(), ContainerPorts(container).Values.ToHashSet());
        }

        var silo = Container(Find(objects, "Deployment", SiloDeployment));
        var ports = ContainerPorts(silo);
        var env = Env(silo);
        Assert.Equal(ClusteringOptions.DefaultSiloPort, ports["silo"]);
        Assert.Equal(ports["silo"], Yaml.Int(env["Orleans__SiloPort"]["value"]));
        Assert.Equal(ClusteringOptions.DefaultGatewayPort, ports["orleans-gateway"]);
        Assert.Equal(ports["orleans-gateway"], Yaml.Int(env["Orleans__GatewayPort"]["value"]));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TerminationGracePeriod_CoversTheGracefulShutdown(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);

        foreach (var name in new[] { SiloDeployment, GatewayDeployment })
        {
            var pod = Find(objects, "Deployment", name)["spec"]!["template"]!["spec"]!;
            var container = Container(Find(objects, "Deployment", name));
            var env = Env(container);
            var shutdown = env.TryGetValue("DOTNET_SHUTDOWNTIMEOUTSECONDS", out var own) ? Yaml.Int(own["value"]) : DockerfileTests.ShutdownTimeoutSeconds;
            var preStop = Yaml.Items(container["lifecycle"]?["preStop"]?["exec"]?["command"]).Select(Yaml.Text).ToList();
            var pause = preStop.Count == 2 && preStop[0] == "sleep" ? int.Parse(preStop[1]!, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var grace = Yaml.Int(pod["terminationGracePeriodSeconds"]);

            // The kubelet kills the container at the end of the grace period, which starts with preStop.
            Assert.True(grace >= pause + shutdown + 5, $"{name}: terminationGracePeriodSeconds {grace} s < preStop {pause} s + shutdown timeout {shutdown} s + 5 s");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Containers_ReadSecretsFromSecretsAndOnlyKeysTheProgramsRead(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);

        foreach (var (name, required) in new[] { (SiloDeployment, SecretVariables[..3]), (GatewayDeployment, SecretVariables[1..2]) })
        {
            var env = Env(Container(Find(objects, "Deployment", name)));
            foreach (var variable in required)
            {
                Assert.True(env.ContainsKey(variable), $"{name} sets {variable}");
            }

            foreach (var (variable, entry) in env)
            {
                Assert.True(AppConfiguration.Reads(variable), $"{name}: {variable} ({AppConfiguration.KeyOf(variable)}) is no key the programs read");
                if (SecretVariables.Contains(variable))
                {
                    Assert.Null(entry["value"]);
                    Assert.NotNull(entry["valueFrom"]?["secretKeyRef"]?["name"]);
                    Assert.NotNull(entry["valueFrom"]?["secretKeyRef"]?["key"]);
                }

                Assert.DoesNotMatch(Credential(), Yaml.Text(entry["value"]) ?? "");
            }
        }
    }

    [Fact]
    public async Task Prod_InlinesNoSecretValue()
    {
        var objects = await Kustomize.RenderAsync("k8s/overlays/prod");

        Assert.DoesNotContain(objects, o => Kind(o) is "Secret" or "ConfigMap");
        var references = SecretReferences(objects);
        Assert.NotEmpty(references);
        // The Secret is created outside the repository under the name the base refers to (no generated suffix).
        Assert.All(references, r => Assert.Equal("agentgrains-secrets", r.Secret));
        foreach (var o in objects)
        {
            Assert.DoesNotMatch(Credential(), o.ToJsonString());
        }
    }

    [Fact]
    public async Task Dev_GeneratesTheSecretAndRunsTheServicesItsConnectionStringsName()
    {
        var objects = await Kustomize.RenderAsync("k8s/overlays/dev");

        var references = SecretReferences(objects);
        var secretName = Assert.Single(references.Select(r => r.Secret).Distinct());
        var secret = Find(objects, "Secret", secretName);
        var data = SecretData(secret);
        foreach (var (_, key, optional) in references.Where(r => !r.Optional))
        {
            Assert.True(data.ContainsKey(key), $"the dev Secret lacks {key}");
        }

        Assert.Contains("DEV DEFAULT PASSWORD", RepositoryFiles.Read("k8s/overlays/dev/kustomization.yaml"), StringComparison.Ordinal);

        // Host=postgres and redis:6379 are Services in front of StatefulSets of the overlay.
        var postgres = ConnectionStringHost().Match(data["postgres-connection-string"]).Groups["host"].Value;
        var redis = data["redis-connection-string"].Split(',')[0].Split(':');
        foreach (var (service, port, image) in new[] { (postgres, 5432, "postgres:15"), (redis[0], int.Parse(redis[1], System.Globalization.CultureInfo.InvariantCulture), "redis:7") })
        {
            var svc = Find(objects, "Service", service);
            Assert.Contains(Yaml.Items(svc["spec"]!["ports"]), p => Yaml.Int(p["port"]) == port);
            var set = Assert.Single(objects, o => Kind(o) == "StatefulSet" && Selects(new JsonObject { ["matchLabels"] = svc["spec"]!["selector"]!.DeepClone() }, PodLabels(o)));
            Assert.Equal(image, Yaml.Text(Container(set)["image"]));
            Assert.Contains(port, ContainerPorts(Container(set)).Values);
        }

        // PostgreSQL starts with the password the silos' connection string carries.
        var password = Env(Container(Find(objects, "StatefulSet", "postgres")))["POSTGRES_PASSWORD"]["valueFrom"]!["secretKeyRef"]!;
        Assert.Equal(secretName, Yaml.Text(password["name"]));
        Assert.Contains($"Password={data[Yaml.Text(password["key"])!]}", data["postgres-connection-string"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Containers_ReadTheApiKeysFromTheirSecret(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);
        var dev = overlay.EndsWith("/dev", StringComparison.Ordinal);

        foreach (var name in new[] { SiloDeployment, GatewayDeployment })
        {
            var container = Container(Find(objects, "Deployment", name));
            // Listening on every interface, a program without API keys refuses to start: the Secret is required.
            var reference = Assert.Single(Yaml.Items(container["envFrom"]), e => e["secretRef"] is not null)["secretRef"]!;
            Assert.NotEqual("true", Yaml.Text(reference["optional"]));
            var secret = Yaml.Text(reference["name"])!;
            if (dev)
            {
                // Generated by the overlay (a name with a content hash appended).
                Assert.StartsWith(ApiKeysSecret + "-", secret, StringComparison.Ordinal);
                Find(objects, "Secret", secret);
            }
            else
            {
                // Created by the operator under the name the base refers to.
                Assert.Equal(ApiKeysSecret, secret);
            }

            var env = Env(container);
            Assert.DoesNotContain(env.Keys, v => v.StartsWith("Gateway__ApiKeys__", StringComparison.Ordinal));
            Assert.False(env.ContainsKey("Gateway__AllowAnonymous"), $"{name} is not open");
        }
    }

    [Fact]
    public async Task Dev_GeneratesTheApiKeysSecretWithTheDocumentedDevKey()
    {
        var objects = await Kustomize.RenderAsync("k8s/overlays/dev");
        var silo = Container(Find(objects, "Deployment", SiloDeployment));
        var data = SecretData(Find(objects, "Secret", Yaml.Text(Yaml.Items(silo["envFrom"]).Single()["secretRef"]!["name"])!));

        foreach (var variable in data.Keys)
        {
            // Older clusters skip envFrom entries that are no C identifier.
            Assert.Matches(EnvironmentVariableName(), variable);
            Assert.Matches(AppConfiguration.ApiKeySetting(), AppConfiguration.KeyOf(variable));
        }

        // The silo's settings with the Secret's entries pass the gateway's start-up check; without them they would not.
        var settings = Env(silo).Where(e => e.Value["value"] is not null).Select(e => KeyValuePair.Create(AppConfiguration.KeyOf(e.Key), Yaml.Text(e.Value["value"])));
        var withKeys = Bind(settings.Concat(data.Select(e => KeyValuePair.Create(AppConfiguration.KeyOf(e.Key), (string?)e.Value))));
        Assert.True(new GatewayExposureValidator(withKeys.Configuration).Validate(null, withKeys.Options).Succeeded);
        var withoutKeys = Bind(settings);
        Assert.True(new GatewayExposureValidator(withoutKeys.Configuration).Validate(null, withoutKeys.Options).Failed);

        var (_, key) = Assert.Single(withKeys.Options.ApiKeys);
        Assert.Equal(ApiKeyAuthenticationHandler.Hash(DevApiKey), key.Hash);
        Assert.Contains(GatewayIdentity.AdminRole, key.Roles);

        var kustomization = RepositoryFiles.Read("k8s/overlays/dev/kustomization.yaml");
        Assert.Contains("DEV API KEY", kustomization, StringComparison.Ordinal);
        Assert.Contains($"Bearer {DevApiKey}", kustomization, StringComparison.Ordinal);
        Assert.Contains(DevApiKey, RepositoryFiles.Read("docs/cluster.md"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Objects_HoldNoApiKeyOrHashButTheDevOverlaysDocumentedOne(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);
        string[] allowed = overlay.EndsWith("/dev", StringComparison.Ordinal) ? [ApiKeyAuthenticationHandler.Hash(DevApiKey)] : [];

        foreach (var o in objects)
        {
            var text = o.ToJsonString();
            if (Kind(o) == "Secret")
            {
                text += "\n" + string.Join('\n', SecretData(o).Select(e => $"{e.Key}={e.Value}"));
            }

            Assert.DoesNotContain(DevApiKey, text, StringComparison.Ordinal);
            foreach (Match hash in Sha256Hex().Matches(text))
            {
                Assert.True(allowed.Contains(hash.Value), $"{Kind(o)} {Yaml.Text(o["metadata"]!["name"])} holds a key's hash ({hash.Value[..8]}...) that is not the documented dev key's");
            }
        }
    }

    [Fact]
    public void Kustomizations_UseOnlyWhatTheKustomizeInOlderKubectlReads()
    {
        // Debian's kubernetes-client (kubectl 1.20, kustomize v2.0.3), which test.sh installs where kubectl is missing,
        // reads neither "patches", "labels" nor folders under "resources" (those go under "bases").
        var files = Directory.GetFiles(RepositoryFiles.PathOf("k8s"), "kustomization.yaml", SearchOption.AllDirectories);

        Assert.Equal(3, files.Length);
        foreach (var file in files)
        {
            var kustomization = Yaml.Document(System.IO.File.ReadAllText(file));
            Assert.Subset(KustomizeV2Fields, kustomization.Select(e => e.Key).ToHashSet(StringComparer.Ordinal));
            foreach (var resource in Yaml.Items(kustomization["resources"]).Select(Yaml.Text))
            {
                Assert.True(System.IO.File.Exists(Path.Combine(Path.GetDirectoryName(file)!, resource!)), $"{file}: resource {resource} is not a file");
            }
        }
    }

    private static string? Kind(JsonObject o) => Yaml.Text(o["kind"]);

    private static JsonObject Find(List<JsonObject> objects, string kind, string name) =>
        Assert.Single(objects, o => Kind(o) == kind && Yaml.Text(o["metadata"]!["name"]) == name);

    private static JsonObject Container(JsonObject workload) => Yaml.Items(workload["spec"]!["template"]!["spec"]!["containers"]).First().AsObject();

    private static Dictionary<string, string> PodLabels(JsonObject workload) =>
        Yaml.Entries(workload["spec"]!["template"]!["metadata"]!["labels"]).ToDictionary(e => e.Key, e => Yaml.Text(e.Value)!, StringComparer.Ordinal);

    /// <summary>The container's variables in order, each its entry (value or valueFrom).</summary>
    private static Dictionary<string, JsonObject> Env(JsonObject container) =>
        Yaml.Items(container["env"]).ToDictionary(e => Yaml.Text(e["name"])!, e => e.AsObject(), StringComparer.Ordinal);

    private static string? Value(Dictionary<string, JsonObject> env, string name) =>
        env.TryGetValue(name, out var entry) ? Yaml.Text(entry["value"]) : null;

    private static string? FieldRef(Dictionary<string, JsonObject> env, string name) =>
        env.TryGetValue(name, out var entry) ? Yaml.Text(entry["valueFrom"]?["fieldRef"]?["fieldPath"]) : null;

    private static Dictionary<string, int> ContainerPorts(JsonObject container) =>
        Yaml.Items(container["ports"]).ToDictionary(p => Yaml.Text(p["name"]) ?? Yaml.Text(p["containerPort"])!, p => Yaml.Int(p["containerPort"]), StringComparer.Ordinal);

    private static int ResolvePort(JsonObject container, JsonNode? port)
    {
        var text = Yaml.Text(port)!;
        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : ContainerPorts(container)[text];
    }

    /// <summary>The first port of ASPNETCORE_HTTP_PORTS: the container's own, or the image's.</summary>
    private static int HttpPort(JsonObject container)
    {
        var env = Env(container);
        var ports = env.TryGetValue("ASPNETCORE_HTTP_PORTS", out var entry) ? Yaml.Text(entry["value"])! : DockerfileTests.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return int.Parse(ports.Split(';', ',')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool Selects(JsonNode? selector, Dictionary<string, string> labels)
    {
        var matchLabels = Yaml.Entries(selector?["matchLabels"]).ToList();
        return matchLabels.Count > 0 && matchLabels.All(e => labels.TryGetValue(e.Key, out var v) && v == Yaml.Text(e.Value));
    }

    /// <summary>The repository and name of an image reference, without its registry, tag or digest.</summary>
    private static string ImageName(string image)
    {
        var withoutDigest = image.Split('@')[0];
        var lastSlash = withoutDigest.LastIndexOf('/');
        var colon = withoutDigest.LastIndexOf(':');
        var name = colon > lastSlash ? withoutDigest[..colon] : withoutDigest;
        return name[(lastSlash + 1)..];
    }

    private static List<(string Secret, string Key, bool Optional)> SecretReferences(List<JsonObject> objects) =>
        [.. objects.Where(o => Kind(o) is "Deployment" or "StatefulSet")
            .SelectMany(o => Yaml.Items(o["spec"]!["template"]!["spec"]!["containers"]))
            .SelectMany(c => Yaml.Items(c["env"]))
            .Select(e => e["valueFrom"]?["secretKeyRef"])
            .Where(r => r is not null)
            .Select(r => (Yaml.Text(r!["name"])!, Yaml.Text(r["key"])!, Yaml.Text(r["optional"]) == "true"))];

    private static Dictionary<string, string> SecretData(JsonObject secret) =>
        Yaml.Entries(secret["data"]).ToDictionary(e => e.Key, e => Encoding.UTF8.GetString(Convert.FromBase64String(Yaml.Text(e.Value)!)), StringComparer.Ordinal);

    private static (IConfiguration Configuration, GatewayOptions Options) Bind(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return (configuration, configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions());
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentVariableName();

    [GeneratedRegex(@"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex(@"(?i)(password|pwd)\s*=\s*[^;\s""]+|(?i)sk-[a-z0-9]{10,}")]
    private static partial Regex Credential();

    [GeneratedRegex(@"(?i)Host=(?<host>[^;]+)")]
    private static partial Regex ConnectionStringHost();
}
