using System.Globalization;

namespace AgentGrains.Grains.Tools;

/// <summary>Declares a method as a tool: its name as the model sees it and its policy.</summary>
/// <remarks>
/// Read by <see cref="AgentTool.FromMethod"/> and <see cref="AgentTool.FromType{T}"/>; the method
/// also needs a <see cref="System.ComponentModel.DescriptionAttribute"/> (and its parameters should
/// have one each) so the model knows when and how to call it. A property left unset keeps the
/// default of <see cref="AgentToolSettings"/>; a value set explicitly is checked even if it equals
/// a default's representation (<c>MaxCallsPerSession = 0</c> is an error, not "unlimited").
/// </remarks>
/// <param name="name">The tool's name as the model sees it: 1 to 64 ASCII letters, digits, <c>_</c> or <c>-</c> (e.g. <c>calculator</c>).</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class AgentToolAttribute(string name) : Attribute
{
    private double? timeoutSeconds;
    private int? maxCallsPerSession;

    /// <summary>The tool's name as the model sees it.</summary>
    public string Name { get; } = name;

    /// <summary>The per-call timeout in seconds. Unset: <see cref="AgentTool.DefaultTimeout"/> (10 s).</summary>
    public double TimeoutSeconds
    {
        get => timeoutSeconds ?? AgentTool.DefaultTimeout.TotalSeconds;
        set => timeoutSeconds = value;
    }

    /// <summary>How many times one session may call the tool. Unset: unlimited (reads as 0).</summary>
    public int MaxCallsPerSession
    {
        get => maxCallsPerSession ?? 0;
        set => maxCallsPerSession = value;
    }

    /// <summary>How much harm a wrong call can do. Default <see cref="ToolRisk.Low"/>.</summary>
    public ToolRisk Risk { get; set; }

    /// <summary>Whether a call changes something outside the run. Default false.</summary>
    public bool SideEffects { get; set; }

    /// <summary>Whether each call waits for a person's approval. Default false.</summary>
    public bool NeedsConfirmation { get; set; }

    /// <summary>The policy this attribute declares, checked.</summary>
    /// <exception cref="ArgumentException">A value is out of range (see <see cref="AgentToolSettings.Validate"/>).</exception>
    public AgentToolSettings ToSettings()
    {
        TimeSpan timeout;
        if (timeoutSeconds is not { } seconds)
        {
            timeout = AgentTool.DefaultTimeout;
        }
        else if (double.IsFinite(seconds) && seconds > 0 && seconds <= AgentToolSettings.MaxTimeout.TotalSeconds)
        {
            timeout = TimeSpan.FromSeconds(seconds);
        }
        else
        {
            throw new ArgumentException(
                $"TimeoutSeconds of tool '{Name}' is {seconds.ToString(CultureInfo.InvariantCulture)}; it must be positive and at most {AgentToolSettings.MaxTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}.");
        }

        var settings = new AgentToolSettings
        {
            Timeout = timeout,
            MaxCallsPerSession = maxCallsPerSession,
            Risk = Risk,
            HasSideEffects = SideEffects,
            NeedsConfirmation = NeedsConfirmation,
        };
        settings.Validate(Name);
        return settings;
    }
}
