using System.Diagnostics;

namespace AgentGrains.Runtime.Diagnostics;

/// <summary>The runtime's tracing source.</summary>
public static class RuntimeDiagnostics
{
    /// <summary>The name of the runtime's <see cref="ActivitySource"/> (subscribe to it to get grain call spans).</summary>
    public const string SourceName = "AgentGrains.Runtime";

    internal static readonly ActivitySource Source = new(SourceName);
}
