using System.ComponentModel;
using System.Globalization;

namespace AgentGrains.Grains.Tools;

/// <summary>The built-in <c>clock</c> tool: the current UTC time.</summary>
/// <param name="timeProvider">The time source, so tests can set the time.</param>
public sealed class ClockTool(TimeProvider timeProvider)
{
    /// <summary>The tool's name.</summary>
    public const string Name = "clock";

    /// <summary>Creates the tool over <paramref name="timeProvider"/>.</summary>
    public static AgentTool Create(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return AgentTool.FromMethod(new ClockTool(timeProvider).Now);
    }

    /// <summary>The current time in UTC, ISO 8601 to the second (e.g. <c>2025-01-31T09:30:00Z</c>).</summary>
    [AgentTool(Name, Risk = ToolRisk.Low, SideEffects = false)]
    [Description("Returns the current date and time in UTC, in ISO 8601 format.")]
    public string Now() =>
        timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
