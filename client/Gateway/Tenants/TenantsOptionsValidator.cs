using System.Globalization;
using AgentGrains.GrainInterfaces.Tenants;
using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Gateway.Tenants;

/// <summary>Checks each tenant's settings (<c>Tenants:&lt;tenant&gt;</c>) at start-up, saying how to fix each problem.</summary>
internal sealed class TenantsOptionsValidator : IValidateOptions<TenantsOptions>
{
    public ValidateOptionsResult Validate(string? name, TenantsOptions options)
    {
        var failures = options.SelectMany(static t => RateLimitProblems($"Tenants:{t.Key}:RateLimit", t.Value.RateLimit)).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>What is wrong with a rate limit configured at <paramref name="path"/>; empty when nothing is.</summary>
    public static IEnumerable<string> RateLimitProblems(string path, RateLimitOptions limit)
    {
        if (limit.PermitsPerSecond is { } rate && (!(rate > 0) || rate > 1_000_000))
        {
            yield return $"{path}:PermitsPerSecond is {rate.ToString(CultureInfo.InvariantCulture)}; set it to a positive rate such as 10 (or 0.5 for one request every 2 s), or remove it for no limit";
        }

        if (limit.Burst is { } burst && burst is < 1 or > 1_000_000)
        {
            yield return $"{path}:Burst is {burst.ToString(CultureInfo.InvariantCulture)}; set it to 1 or more requests";
        }
    }
}
