using System.Text.Json;

namespace AgentGrains.Runtime;

/// <summary>The JSON settings for everything the runtime stores or sends: arguments, results, state, logs.</summary>
/// <remarks>
/// Web defaults (camelCase, case-insensitive reads) and unknown members ignored, so a newer
/// version of a type reads older rows and an older one reads newer rows.
/// </remarks>
public static class RuntimeJson
{
    /// <summary>The shared, read-only options.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
