using System.Security.Claims;

namespace AgentGrains.Client.Gateway.Identity;

/// <summary>The names the gateway's identity uses: its scheme, roles, claims and policies.</summary>
public static class GatewayIdentity
{
    /// <summary>The authentication scheme of API keys (<c>Authorization: Bearer</c>).</summary>
    public const string Scheme = "ApiKey";

    /// <summary>The authentication scheme of a browser signed in with an API key at <c>/ui/login</c> (a cookie).</summary>
    public const string CookieScheme = "ApiKeyCookie";

    /// <summary>The default scheme: the cookie when a request brings it and no <c>Authorization</c> header, else the API key.</summary>
    public const string DefaultScheme = "ApiKeyOrCookie";

    /// <summary>The name of the sign-in cookie.</summary>
    public const string CookieName = "agentgrains.auth";

    /// <summary>The role of keys that use the API: sessions, runs, memories.</summary>
    public const string UserRole = "user";

    /// <summary>The role of keys that operate the cluster: the dashboard, <c>/ui</c>, <c>/v1/cluster</c>, other users' approvals.</summary>
    public const string AdminRole = "admin";

    /// <summary>The authorization policy of operators' endpoints.</summary>
    public const string AdminPolicy = "agentgrains-admin";

    /// <summary>The claim naming the caller's tenant.</summary>
    public const string TenantClaim = "agentgrains/tenant";

    /// <summary>The name of the caller when no key is configured (an open gateway on loopback).</summary>
    public const string AnonymousName = "anonymous";

    /// <summary>The caller's tenant; null for an open gateway's anonymous caller.</summary>
    public static string? TenantOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.FindFirst(TenantClaim)?.Value is { Length: > 0 } tenant ? tenant : null;
    }
}
