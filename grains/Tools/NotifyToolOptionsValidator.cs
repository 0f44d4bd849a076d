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
        return WebhookTool.TryParseUrl(options.Url, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{NotifyToolOptions.SectionName}:Url is not an absolute http or https URL; set it to the webhook's address (e.g. https://hooks.example.com/agents) or remove it to turn the notify tool off.");
    }
}
