namespace AgentGrains.Client.Gateway.Tenants;

/// <summary>How many requests a tenant may send: a token bucket, refilled every second.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second, on average; null (default) for no limit.</summary>
    public double? PermitsPerSecond { get; set; }

    /// <summary>How many requests may come at once after a quiet spell; default twice <see cref="PermitsPerSecond"/> (at least 1).</summary>
    public int? Burst { get; set; }
}

/// <summary>What one tenant may do beyond the defaults: <c>Gateway:Tenants:&lt;tenant&gt;</c>.</summary>
public sealed class TenantOptions
{
    /// <summary>The tenant's request rate; unset values fall back to <c>Gateway:RateLimit</c>.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();
}
