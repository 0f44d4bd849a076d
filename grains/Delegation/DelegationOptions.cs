namespace AgentGrains.Grains.Delegation;

/// <summary>Limits on manager agents calling specialist agents (configuration section <c>Delegation</c>).</summary>
public sealed class DelegationOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Delegation";

    /// <summary>
    /// How many levels of specialists may run under a run a person started; default 4. A call that
    /// would go deeper gets a <c>DepthExceeded</c> tool error at once instead of starting a run.
    /// </summary>
    public int MaxDepth { get; set; } = 4;

    /// <summary>How long one read of a specialist run waits for it to end before reading again; default 10 seconds.</summary>
    /// <remarks>Bounded below <c>Silo:ResponseTimeout</c>; each read is a long poll, so a finished run is seen at once.</remarks>
    public TimeSpan PollWait { get; set; } = TimeSpan.FromSeconds(10);
}
