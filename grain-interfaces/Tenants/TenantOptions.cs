namespace AgentGrains.GrainInterfaces.Tenants;

/// <summary>What each tenant may do, by tenant name: the <c>Tenants</c> configuration section (<c>Tenants:&lt;tenant&gt;:...</c>), read by silos and gateways alike.</summary>
public sealed class TenantsOptions : Dictionary<string, TenantOptions>
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Tenants";

    /// <summary>An empty set of tenant settings.</summary>
    public TenantsOptions()
        : base(StringComparer.Ordinal)
    {
    }

    /// <summary>The settings of <paramref name="tenant"/>; the defaults (everything allowed) for a tenant not configured or no tenant.</summary>
    public TenantOptions For(string? tenant) => tenant is not null && TryGetValue(tenant, out var options) ? options : TenantOptions.Default;
}

/// <summary>What one tenant may do: <c>Tenants:&lt;tenant&gt;</c>.</summary>
public sealed class TenantOptions
{
    /// <summary>A tenant with no settings: every agent and tool, the gateway's default rate.</summary>
    public static TenantOptions Default { get; } = new();

    /// <summary>The agents its sessions may be created with (<c>Tenants:&lt;tenant&gt;:Agents:0</c>, ...); empty (default) for every agent.</summary>
    /// <remarks>Another agent is one the tenant does not see: not listed, and unknown (400) when a session names it.</remarks>
    public List<string> Agents { get; set; } = [];

    /// <summary>The tools (and specialists, by name) its sessions' models may not call (<c>Tenants:&lt;tenant&gt;:DeniedTools:0</c>, ...); default none.</summary>
    /// <remarks>They are not offered to the model, and a call to one is a tool error; an MCP tool is named <c>mcp:&lt;server&gt;/&lt;tool&gt;</c>.</remarks>
    public List<string> DeniedTools { get; set; } = [];

    /// <summary>The tenant's request rate; unset values fall back to <c>Gateway:RateLimit</c>.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Whether sessions of this tenant may be created with <paramref name="agent"/>.</summary>
    public bool AllowsAgent(string agent) => Agents.Count == 0 || Agents.Contains(agent, StringComparer.Ordinal);
}

/// <summary>How many requests a tenant may send: a token bucket, refilled every second.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second, on average; null (default) for no limit.</summary>
    public double? PermitsPerSecond { get; set; }

    /// <summary>How many requests may come at once after a quiet spell; default twice <see cref="PermitsPerSecond"/> (at least 1).</summary>
    public int? Burst { get; set; }
}
