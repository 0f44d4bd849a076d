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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
