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

    /// <summary>
    /// Whether the webhook may be on a loopback, link-local, private or reserved address (127.0.0.0/8,
    /// 10.0.0.0/8, 169.254.0.0/16, ::1, fc00::/7, …). Default false: such an address is refused at
    /// connect time, after the name is resolved, and a literal one in <see cref="Url"/> at start.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}
