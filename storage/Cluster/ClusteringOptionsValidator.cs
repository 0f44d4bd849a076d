using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentGrains.Storage.Cluster;

/// <summary>Checks <see cref="ClusteringOptions"/> at start-up and says how to fix each problem.</summary>
/// <remarks>The Redis configuration string may hold a password: no message repeats it or any of its values.</remarks>
internal sealed class ClusteringOptionsValidator : IValidateOptions<ClusteringOptions>
{
    private const string RedisKey = "ConnectionStrings:" + ClusteringOptions.RedisConnectionStringName;

    public ValidateOptionsResult Validate(string? name, ClusteringOptions options)
    {
        var failures = new List<string>();
        if (options.UnrecognizedProvider is not null || !Enum.IsDefined(options.Provider))
        {
            failures.Add(
                $"{ClusteringOptions.ProviderKey} is '{options.UnrecognizedProvider ?? options.Provider.ToString()}'; set it to Localhost " +
                "(one silo on this machine, the default), Redis (membership in Redis, with ConnectionStrings:Redis) or AdoNet (membership in PostgreSQL).");
        }
        else if (options.Provider == ClusterProvider.Redis)
        {
            ValidateRedis(options.RedisConnectionString, failures);
        }

        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add("Orleans:ClusterId is empty; set it to the name every silo of this cluster shares (default agentgrains), or remove it.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add(
                "Orleans:ServiceId is empty; set it to the application's name, the same across deployments because grain state " +
                "and reminders are keyed by it (default agentgrains), or remove it.");
        }

        ValidatePort("Orleans:SiloPort", options.SiloPort, ClusteringOptions.DefaultSiloPort, failures);
        ValidatePort("Orleans:GatewayPort", options.GatewayPort, ClusteringOptions.DefaultGatewayPort, failures);
        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add(
                $"Orleans:SiloPort and Orleans:GatewayPort are both {options.SiloPort}; silos and clients need a port each: " +
                $"change one of them (defaults {ClusteringOptions.DefaultSiloPort} and {ClusteringOptions.DefaultGatewayPort}).");
        }

        if (options.AdvertisedIP is not null && !IPAddress.TryParse(options.AdvertisedIP, out _))
        {
            failures.Add(
                $"Orleans:AdvertisedIP '{options.AdvertisedIP}' is not an IP address; set it to the address other silos and clients " +
                "reach this silo at (such as 10.0.0.5), or remove it to let Orleans pick one.");
        }

        if (options.Kubernetes)
        {
            ValidateKubernetes(options, failures);
        }

        ValidateOrleansEndpoints(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Parses a Redis configuration string that <see cref="Validate"/> accepted.</summary>
    public static ConfigurationOptions ParseRedis(string connectionString) => ConfigurationOptions.Parse(connectionString);

    private static void ValidateOrleansEndpoints(ClusteringOptions options, List<string> failures)
    {
        var (siloPort, gatewayPort, advertisedIP) = options.OrleansEndpoints;
        if (!string.IsNullOrWhiteSpace(siloPort) && siloPort.Trim() != options.SiloPort.ToString(CultureInfo.InvariantCulture))
        {
            failures.Add(
                $"Orleans:Endpoints:SiloPort is {siloPort.Trim()} but Orleans:SiloPort is {options.SiloPort}, and AgentGrains silos listen on " +
                "Orleans:SiloPort; set the port there and remove Orleans:Endpoints:SiloPort.");
        }

        if (!string.IsNullOrWhiteSpace(gatewayPort) && gatewayPort.Trim() != options.GatewayPort.ToString(CultureInfo.InvariantCulture))
        {
            failures.Add(
                $"Orleans:Endpoints:GatewayPort is {gatewayPort.Trim()} but Orleans:GatewayPort is {options.GatewayPort}, and AgentGrains silos " +
                "take clients on Orleans:GatewayPort; set the port there and remove Orleans:Endpoints:GatewayPort.");
        }

        if (!string.IsNullOrWhiteSpace(advertisedIP) && options.AdvertisedIP is not null
            && !(IPAddress.TryParse(advertisedIP, out var theirs) && IPAddress.TryParse(options.AdvertisedIP, out var ours) && theirs.Equals(ours)))
        {
            failures.Add(
                $"Orleans:Endpoints:AdvertisedIPAddress is {advertisedIP.Trim()} but Orleans:AdvertisedIP is {options.AdvertisedIP}; " +
                "set the address in Orleans:AdvertisedIP and remove Orleans:Endpoints:AdvertisedIPAddress.");
        }
    }

    private static void ValidateKubernetes(ClusteringOptions options, List<string> failures)
    {
        if (options.UnrecognizedProvider is null && options.Provider == ClusterProvider.Localhost)
        {
            failures.Add(
                "Orleans:Kubernetes is true but Cluster:Provider is Localhost, whose silo is alone on its machine; set Cluster:Provider " +
                "to Redis or AdoNet so the pods find each other, or set Orleans:Kubernetes to false.");
        }

        if (!options.InKubernetesPod)
        {
            failures.Add(
                $"Orleans:Kubernetes is true but this process does not run in a Kubernetes pod ({ClusteringRegistration.KubernetesServiceHostKey} " +
                "is not set); set Orleans:Kubernetes to false (or remove it) outside Kubernetes.");
        }
    }

    private static void ValidatePort(string key, int port, int defaultPort, List<string> failures)
    {
        if (port is < 1 or > 65535)
        {
            failures.Add($"{key} is {port}; set it to a free TCP port between 1 and 65535 (default {defaultPort}).");
        }
    }

    private static void ValidateRedis(string? connectionString, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            failures.Add(
                $"{RedisKey} is empty, and Cluster:Provider Redis keeps membership in Redis; set it to a StackExchange.Redis " +
                "configuration string such as redis:6379 or redis:6379,password=..., or set Cluster:Provider to Localhost.");
            return;
        }

        ConfigurationOptions parsed;
        try
        {
            parsed = ParseRedis(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or RedisConnectionException)
        {
            // The parser's message may quote a value, and values include the password: say only where to look.
            failures.Add(
                $"{RedisKey} is not a valid StackExchange.Redis configuration string; write it as host:port followed by " +
                "option=value pairs separated by commas (such as redis:6379,password=...,ssl=true) and remove unknown options.");
            return;
        }

        if (parsed.EndPoints.Count == 0)
        {
            failures.Add($"{RedisKey} names no server; start it with the Redis server's host:port, such as redis:6379.");
        }
    }
}
