using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Gateway.Identity;

/// <summary>Checks the API keys, and refuses an open gateway (no keys) that listens beyond loopback unless <c>Gateway:AllowAnonymous=true</c>.</summary>
/// <remarks>
/// Where the gateway listens is read from the same settings Kestrel reads (<c>urls</c>, <c>http_ports</c>,
/// <c>https_ports</c>, <c>Kestrel:Endpoints:*:Url</c>) and Orleans' Kubernetes hosting (which listens on
/// every interface); without any, the executables listen on 127.0.0.1.
/// </remarks>
internal sealed class GatewayExposureValidator(IConfiguration configuration) : IValidateOptions<GatewayOptions>
{
    private const int MaxTenantLength = 64;

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, api) in options.ApiKeys)
        {
            var path = $"Gateway:ApiKeys:{key}";
            if (api.Hash is not { Length: 64 } hash || !hash.All(static c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            {
                failures.Add($"{path}:Hash is not a SHA-256 in lower-case hex; set it to the key's hash, e.g. the output of: printf %s \"$KEY\" | sha256sum");
            }
            else if (!hashes.TryAdd(hash, key))
            {
                failures.Add($"{path}:Hash is the same as Gateway:ApiKeys:{hashes[hash]}:Hash; give each key its own secret");
            }

            if (string.IsNullOrEmpty(api.Tenant) || api.Tenant.Length > MaxTenantLength || !api.Tenant.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') || !char.IsAsciiLetterOrDigit(api.Tenant[0]))
            {
                failures.Add($"{path}:Tenant must name the key's tenant: 1 to {MaxTenantLength} of A-Z, a-z, 0-9, '.', '_', '-', starting with a letter or digit");
            }

            foreach (var role in api.Roles.Where(static r => r is not (GatewayIdentity.UserRole or GatewayIdentity.AdminRole)))
            {
                failures.Add($"{path}:Roles has '{role}'; the roles are {GatewayIdentity.UserRole} and {GatewayIdentity.AdminRole}");
            }
        }

        // Each tenant's own rate is checked with the tenants' settings (TenantsOptionsValidator).
        failures.AddRange(Tenants.TenantsOptionsValidator.RateLimitProblems("Gateway:RateLimit", options.RateLimit));

        if (options.ApiKeys.Count == 0 && !options.AllowAnonymous && ExposedAt() is { } exposed)
        {
            failures.Add($"The gateway listens beyond loopback ({exposed}) but Gateway:ApiKeys is empty, so anyone who reaches it could read and drive every session; "
                + "configure Gateway:ApiKeys:<name>:Hash, :Tenant and :Roles, or set Gateway:AllowAnonymous=true to serve it open (behind a proxy that authenticates).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The first setting that makes the gateway listen beyond loopback, or null when it listens on loopback only.</summary>
    private string? ExposedAt()
    {
        if (string.Equals(configuration["Orleans:Kubernetes"], "true", StringComparison.OrdinalIgnoreCase))
        {
            return "Orleans:Kubernetes=true listens on every interface";
        }

        // Kestrel reads the ports only when no URL is set.
        foreach (var key in string.IsNullOrWhiteSpace(configuration["urls"]) ? ["http_ports", "https_ports"] : Array.Empty<string>())
        {
            if (!string.IsNullOrWhiteSpace(configuration[key]))
            {
                return $"{key}={configuration[key]} listens on every interface";
            }
        }

        var urls = (configuration["urls"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(static e => e["Url"]).OfType<string>());
        return urls.FirstOrDefault(static url => !IsLoopback(url)) is { } open ? $"URL {open}" : null;
    }

    private static bool IsLoopback(string url)
    {
        var host = url;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }

        var end = host.StartsWith('[') ? host.IndexOf(']', StringComparison.Ordinal) + 1 : host.IndexOfAny([':', '/']);
        host = end > 0 ? host[..end] : host;
        host = host.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }
}
