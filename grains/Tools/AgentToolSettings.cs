using System.Globalization;

namespace AgentGrains.Grains.Tools;

/// <summary>The per-tool policy the engine applies to every call of one tool.</summary>
/// <remarks>
/// Read from <see cref="AgentToolAttribute"/> by <see cref="AgentTool.FromMethod"/>, or given to
/// <see cref="AgentTool.Create(Delegate, string, AgentToolSettings)"/>. Checked when the tool is
/// created, so a bad policy fails the host at start, not a run. See docs/tools.md for what the
/// engine does with each field.
/// </remarks>
public sealed record AgentToolSettings
{
    /// <summary>The longest timeout a tool may have: 1 day.</summary>
    /// <remarks>A call holds its run's turn while it runs; anything longer belongs in a job the tool starts and another tool polls.</remarks>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>How long one call may run before it is abandoned and reported to the model as an error. Default <see cref="AgentTool.DefaultTimeout"/> (10 s).</summary>
    public TimeSpan Timeout { get; init; } = AgentTool.DefaultTimeout;

    /// <summary>How many times one session may call the tool; further calls get an error result. Null (the default) is unlimited.</summary>
    public int? MaxCallsPerSession { get; init; }

    /// <summary>How much harm a wrong call can do; shown to approvers. Default <see cref="ToolRisk.Low"/>.</summary>
    public ToolRisk Risk { get; init; } = ToolRisk.Low;

    /// <summary>Whether a call changes something outside the run (sends, writes, pays). Such a tool must honour <see cref="ToolContext.IdempotencyKey"/>. Default false.</summary>
    public bool HasSideEffects { get; init; }

    /// <summary>Whether the run pauses for a person to approve each call before it runs. Default false.</summary>
    public bool NeedsConfirmation { get; init; }

    /// <summary>Throws when the settings cannot be applied.</summary>
    /// <param name="toolName">The tool the settings are for, named in the message.</param>
    /// <exception cref="ArgumentException">The timeout is not positive or longer than <see cref="MaxTimeout"/>, <see cref="MaxCallsPerSession"/> is below 1, or <see cref="Risk"/> is not a defined value.</exception>
    public void Validate(string toolName)
    {
        if (Timeout <= TimeSpan.Zero || Timeout > MaxTimeout)
        {
            throw new ArgumentException(
                $"The timeout of tool '{toolName}' is {Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s; it must be positive and at most {MaxTimeout.TotalHours.ToString(CultureInfo.InvariantCulture)} h.");
        }

        if (MaxCallsPerSession < 1)
        {
            throw new ArgumentException(
                $"MaxCallsPerSession of tool '{toolName}' is {MaxCallsPerSession.Value.ToString(CultureInfo.InvariantCulture)}; it must be at least 1, or unset for no limit.");
        }

        if (!Enum.IsDefined(Risk))
        {
            throw new ArgumentException($"The risk of tool '{toolName}' is not a ToolRisk value; use Low, Medium or High.");
        }
    }
}
