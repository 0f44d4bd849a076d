using System.Reflection;
using System.Text.RegularExpressions;
using AgentGrains.Client.Gateway;
using AgentGrains.Grains.Models;
using AgentGrains.Storage;
using AgentGrains.Storage.Cluster;
using Orleans.Hosting.Kubernetes;

namespace AgentGrains.Tests.Deploy;

/// <summary>The configuration keys the silo and the gateway read, from the options types that bind them.</summary>
internal static partial class AppConfiguration
{
    private static readonly string[] RuntimePrefixes = ["ASPNETCORE_", "DOTNET_", "OTEL_"];

    private static readonly Lazy<HashSet<string>> Keys = new(() =>
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            ClusteringOptions.ProviderKey,
            $"ConnectionStrings:{StorageOptions.ConnectionStringName}",
            $"ConnectionStrings:{ClusteringOptions.RedisConnectionStringName}",
            ModelOptions.ApiKeyFallbackKey,
            // Orleans' Kubernetes hosting reads these from the environment.
            KubernetesHostingOptions.PodNameEnvironmentVariable,
            KubernetesHostingOptions.PodNamespaceEnvironmentVariable,
            KubernetesHostingOptions.PodIPEnvironmentVariable,
        };
        AddSection(keys, StorageOptions.SectionName, typeof(StorageOptions), nameof(StorageOptions.ConnectionString));
        AddSection(keys, ModelOptions.SectionName, typeof(ModelOptions));
        AddSection(keys, ClusteringOptions.OrleansSectionName, typeof(ClusteringOptions), nameof(ClusteringOptions.Provider), nameof(ClusteringOptions.RedisConnectionString));
        // Gateway:ApiKeys is a dictionary by key name: see ApiKeySetting.
        AddSection(keys, GatewayOptions.SectionName, typeof(GatewayOptions), nameof(GatewayOptions.ApiKeys));
        return keys;
    });

    /// <summary>The configuration key an environment variable sets (<c>__</c> separates sections).</summary>
    public static string KeyOf(string variable) => variable.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>Whether the programs read the variable: an options key, an API key's setting, or a variable of .NET, ASP.NET Core or OpenTelemetry.</summary>
    public static bool Reads(string variable) =>
        Keys.Value.Contains(KeyOf(variable)) || ApiKeySetting().IsMatch(KeyOf(variable)) || RuntimePrefixes.Any(p => variable.StartsWith(p, StringComparison.Ordinal));

    /// <summary><c>Gateway:ApiKeys:&lt;name&gt;:Hash</c>, <c>:Tenant</c> or <c>:Roles:&lt;n&gt;</c>, with the name and setting in groups.</summary>
    [GeneratedRegex(@"^Gateway:ApiKeys:(?<name>[^:]+):(?<setting>Hash|Tenant|Roles:\d+)$")]
    public static partial Regex ApiKeySetting();

    private static void AddSection(HashSet<string> keys, string section, Type options, params string[] boundElsewhere)
    {
        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && !boundElsewhere.Contains(p.Name)))
        {
            keys.Add($"{section}:{property.Name}");
        }
    }
}
