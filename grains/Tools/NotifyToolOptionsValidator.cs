using System.Net;
using Microsoft.Extensions.Options;

namespace AgentGrains.Grains.Tools;

/// <summary>Checks <see cref="NotifyToolOptions"/> when the host starts.</summary>
internal sealed class NotifyToolOptionsValidator : IValidateOptions<NotifyToolOptions>
{
    public ValidateOptionsResult Validate(string? name, NotifyToolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Url))
        {
            return ValidateOptionsResult.Success;
        }

        // The value is not echoed: a webhook URL often carries its secret.
        if (!WebhookTool.TryParseUrl(options.Url, out var url))
        {
            return ValidateOptionsResult.Fail(
                $"{NotifyToolOptions.SectionName}:Url is not an absolute http or https URL; set it to the webhook's address (e.g. https://hooks.example.com/agents) or remove it to turn the notify tool off.");
        }

        // A host name is checked when connecting, after it is resolved; a literal address can be refused now.
        return !options.AllowPrivateNetworks && IsRefusedLiteral(url)
            ? ValidateOptionsResult.Fail(
                $"{NotifyToolOptions.SectionName}:Url is a loopback, link-local, private or reserved address, which the notify tool refuses; set {WebhookAddressGuard.AllowSetting} to allow it (e.g. a webhook receiver on the same host or network).")
            : ValidateOptionsResult.Success;
    }

    // localhost is loopback by definition (RFC 6761), so it counts as a literal.
    private static bool IsRefusedLiteral(Uri url) =>
        url.IsLoopback
        || (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            && IPAddress.TryParse(url.DnsSafeHost, out var address)
            && !WebhookAddressGuard.IsAllowed(address));
}
