namespace AgentGrains.Grains.Tools;

/// <summary>Settings of the built-in <c>notify</c> tool (<see cref="WebhookTool"/>), section <c>Tools:Notify</c>.</summary>
/// <remarks>The tool exists only when <see cref="Url"/> is set; no built-in agent uses it until a definition lists it.</remarks>
public sealed class NotifyToolOptions
{
    /// <summary>The configuration section: <c>Tools:Notify</c>.</summary>
    public const string SectionName = "Tools:Notify";

    /// <summary>The webhook that receives each notification as a JSON POST. Unset (the default): no <c>notify</c> tool.</summary>
    /// <remarks>May carry a secret (a token in the path or query), so it is never logged or shown to the model.</remarks>
    public string? Url { get; set; }

    /// <summary>Whether each notification waits for a person's approval before it is sent. Default false.</summary>
    public bool NeedsConfirmation { get; set; }
}
