using System.Reflection;
using AgentGrains.Grains.Models;
using AgentGrains.Storage;
using AgentGrains.Storage.Cluster;
using Orleans.Hosting.Kubernetes;

namespace AgentGrains.Tests.Deploy;

/// <summary>The configuration keys the silo and the gateway read, from the options types that bind them.</summary>
internal static class AppConfiguration
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
        return keys;
    });

    /// <summary>The configuration key an environment variable sets (<c>__</c> separates sections).</summary>
    public static string KeyOf(string variable) => variable.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>Whether the programs read the variable: an options key, or a variable of .NET, ASP.NET Core or OpenTelemetry.</summary>
    public static bool Reads(string variable) =>
        Keys.Value.Contains(KeyOf(variable)) || RuntimePrefixes.Any(p => variable.StartsWith(p, StringComparison.Ordinal));

    private static void AddSection(HashSet<string> keys, string section, Type options, params string[] boundElsewhere)
    {
        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && !boundElsewhere.Contains(p.Name)))
        {
            keys.Add($"{section}:{property.Name}");
        }
    }
}
