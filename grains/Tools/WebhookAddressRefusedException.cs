using AgentGrains.GrainInterfaces;

namespace AgentGrains.Grains.Tools;

/// <summary>
/// The <c>notify</c> webhook's host resolved only to loopback, link-local, private or reserved
/// addresses, and <c>Tools:Notify:AllowPrivateNetworks</c> is not set; nothing was sent.
/// </summary>
/// <remarks>The message names the refused addresses and the setting that allows them, never the URL.</remarks>
public sealed class WebhookAddressRefusedException(string message) : AgentGrainsException(message)
{
    /// <summary>Always false: the same address is refused again until the configuration changes.</summary>
    public override bool IsTransient => false;
}
