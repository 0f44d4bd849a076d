using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Gateway;

/// <summary>Checks <see cref="GatewayOptions"/> at start-up and says how to fix each problem.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (options.MaxRequestBodyBytes <= 0)
        {
            failures.Add($"Gateway:MaxRequestBodyBytes is {options.MaxRequestBodyBytes}; set it to a positive number of bytes such as {GatewayOptions.DefaultMaxRequestBodyBytes} (256 KiB).");
        }
        else if (options.MaxRequestBodyBytes > GatewayOptions.MaxAllowedRequestBodyBytes)
        {
            failures.Add($"Gateway:MaxRequestBodyBytes is {options.MaxRequestBodyBytes}; request bodies are buffered in memory, so set it to at most {GatewayOptions.MaxAllowedRequestBodyBytes} (64 MiB).");
        }

        if (options.MaxReplyWait < TimeSpan.Zero || options.MaxReplyWait > TimeSpan.FromMinutes(5))
        {
            failures.Add($"Gateway:MaxReplyWait is {options.MaxReplyWait}; set it between 00:00:00 (always answer 202) and 00:05:00, e.g. {GatewayOptions.DefaultMaxReplyWait}.");
        }

        if (options.EventPollWait <= TimeSpan.Zero || options.EventPollWait > TimeSpan.FromMinutes(1))
        {
            failures.Add($"Gateway:EventPollWait is {options.EventPollWait}; set it between 00:00:01 and 00:01:00, below Orleans' response timeout (30 s by default), e.g. 00:00:15.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
