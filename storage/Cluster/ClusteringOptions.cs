namespace AgentGrains.Storage.Cluster;

/// <summary>
/// How silos and clients find each other: the membership provider, the cluster's names and this
/// silo's endpoints, read from <c>Cluster:Provider</c>, <c>ConnectionStrings:Redis</c> and the
/// <c>Orleans</c> section (<c>Orleans:ClusterId</c>, <c>Orleans:SiloPort</c>, ...).
/// </summary>
/// <remarks>
/// <para><c>UseAgentGrainsClustering</c> registers the provider named by the configuration it is
/// given when it is called, so the provider is changed through configuration
/// (<c>Cluster:Provider</c>), not through <c>Configure&lt;ClusteringOptions&gt;</c>.</para>
/// <para>Validated at start-up; every problem is reported at once, each with its fix.</para>
/// </remarks>
public sealed class ClusteringOptions
{
    /// <summary>The configuration key naming the membership provider.</summary>
    public const string ProviderKey = "Cluster:Provider";

    /// <summary>The configuration section holding the cluster's names and the silo's endpoints.</summary>
    public const string OrleansSectionName = "Orleans";

    /// <summary>The name under <c>ConnectionStrings</c> that holds the Redis configuration string.</summary>
    public const string RedisConnectionStringName = "Redis";

    /// <summary>The default of <see cref="ClusterId"/> and <see cref="ServiceId"/>.</summary>
    public const string DefaultName = "agentgrains";

    /// <summary>The default of <see cref="SiloPort"/> (Orleans' own default).</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>The default of <see cref="GatewayPort"/> (Orleans' own default).</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>The membership provider (<c>Cluster:Provider</c>, case-insensitive); default <see cref="ClusterProvider.Localhost"/>.</summary>
    public ClusterProvider Provider { get; set; } = ClusterProvider.Localhost;

    /// <summary>
    /// The StackExchange.Redis configuration string (<c>ConnectionStrings:Redis</c>), such as
    /// <c>redis:6379,password=...</c>. Required when <see cref="Provider"/> is <see cref="ClusterProvider.Redis"/>.
    /// </summary>
    /// <remarks>It may hold a password, so it is never logged or echoed in a validation message.</remarks>
    public string? RedisConnectionString { get; set; }

    /// <summary>
    /// The name the silos of one running cluster share (<c>Orleans:ClusterId</c>); default <c>agentgrains</c>.
    /// Membership is keyed by it: silos with different cluster ids never see each other.
    /// </summary>
    public string ClusterId { get; set; } = DefaultName;

    /// <summary>
    /// The name of the application across deployments (<c>Orleans:ServiceId</c>); default <c>agentgrains</c>.
    /// </summary>
    /// <remarks>
    /// Grain state and reminders are keyed by it: two clusters with the same service id share them,
    /// so change it only to start from empty state.
    /// </remarks>
    public string ServiceId { get; set; } = DefaultName;

    /// <summary>The TCP port silos talk to each other on (<c>Orleans:SiloPort</c>); default 11111.</summary>
    public int SiloPort { get; set; } = DefaultSiloPort;

    /// <summary>The TCP port clients connect to (<c>Orleans:GatewayPort</c>); default 30000.</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;

    /// <summary>
    /// The IP address this silo publishes in the membership table for others to reach it at
    /// (<c>Orleans:AdvertisedIP</c>). Unset by default: loopback with <see cref="ClusterProvider.Localhost"/>,
    /// otherwise the address Orleans picks from the host's network interfaces.
    /// </summary>
    public string? AdvertisedIP { get; set; }

    /// <summary>
    /// Whether the silo runs as a pod of a Kubernetes Deployment (<c>Orleans:Kubernetes</c>); default false.
    /// </summary>
    /// <remarks>
    /// <para>When true, a silo adds Orleans' Kubernetes hosting (<c>UseKubernetesHosting</c>): its silo name
    /// becomes the pod's name (<c>POD_NAME</c>), it listens on every interface and, unless
    /// <see cref="AdvertisedIP"/> is set, advertises the pod's address (<c>POD_IP</c>, read here because Orleans'
    /// own choice of an interface address would otherwise come first); it labels its pod with
    /// <c>orleans/serviceId</c> and <c>orleans/clusterId</c> and watches the pods so labelled in its namespace
    /// (<c>POD_NAMESPACE</c>), declaring a silo dead as soon as its pod is deleted. That needs a service
    /// account allowed to get, list, watch and patch pods. Membership still comes from <see cref="Provider"/>,
    /// which must be Redis or AdoNet.</para>
    /// <para>Nothing changes when false. Silos only: the standalone gateway ignores it.</para>
    /// </remarks>
    public bool Kubernetes { get; set; }

    /// <summary>Whether the process runs in a Kubernetes pod (<c>KUBERNETES_SERVICE_HOST</c> is set), for the validator.</summary>
    internal bool InKubernetesPod { get; set; }

    /// <summary>The pod's address from the downward API (<c>POD_IP</c>), advertised with <see cref="Kubernetes"/> when <see cref="AdvertisedIP"/> is unset.</summary>
    internal string? PodIP { get; set; }

    /// <summary>The text of <c>Cluster:Provider</c> when it names no provider, for the validator's message.</summary>
    internal string? UnrecognizedProvider { get; set; }

    /// <summary>
    /// Orleans' own <c>Orleans:Endpoints:SiloPort</c>, <c>GatewayPort</c> and <c>AdvertisedIPAddress</c>
    /// when set: Orleans binds them itself, and this project's keys would silently replace them, so
    /// the validator refuses a value that differs.
    /// </summary>
    internal (string? SiloPort, string? GatewayPort, string? AdvertisedIP) OrleansEndpoints { get; set; }
}
