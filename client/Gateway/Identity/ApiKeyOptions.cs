namespace AgentGrains.Client.Gateway.Identity;

/// <summary>One API key the gateway accepts: <c>Gateway:ApiKeys:&lt;name&gt;</c>.</summary>
/// <remarks>
/// The key itself is never configured, only its SHA-256 (<c>printf %s "$KEY" | sha256sum</c>), so a
/// leaked configuration does not leak a key. Clients send the key as <c>Authorization: Bearer &lt;key&gt;</c>.
/// Removing a key from the configuration revokes it (the gateway re-reads its configuration on change).
/// </remarks>
public sealed class ApiKeyOptions
{
    /// <summary>The key's SHA-256 as 64 lower-case hex digits.</summary>
    public string? Hash { get; set; }

    /// <summary>The tenant the key acts for: everything it creates belongs to that tenant.</summary>
    public string? Tenant { get; set; }

    /// <summary>Its roles: <c>user</c> (sessions, runs, memories) and/or <c>admin</c> (also the dashboard, <c>/ui</c>, <c>/v1/cluster</c>, other users' approvals); default <c>user</c>.</summary>
    public List<string> Roles { get; set; } = [];
}
