namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>How a tenant's grains are keyed: <c>{tenant}/{id}</c>, so two tenants may both have a session <c>demo</c>.</summary>
/// <remarks>
/// Session ids, user ids and tenants never hold <c>/</c>, so a key splits one way only. Callers (and
/// every id a client sees: sessions, runs, events) use the id alone; the gateway adds the caller's tenant
/// when it names a grain, so another tenant's grain is simply one that does not exist (404). Without a
/// tenant (an open gateway) the key is the id, as before tenants existed.
/// </remarks>
public static class TenantKeys
{
    /// <summary>Between the tenant and the id.</summary>
    public const char Separator = '/';

    /// <summary>The grain key of <paramref name="id"/> for <paramref name="tenant"/> (null: no tenant).</summary>
    public static string Key(string? tenant, string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return tenant is null ? id : string.Concat(tenant, "/", id);
    }

    /// <summary>The tenant (null for none) and the id a grain key holds.</summary>
    public static (string? Tenant, string Id) Split(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var separator = key.IndexOf(Separator, StringComparison.Ordinal);
        return separator < 0 ? (null, key) : (key[..separator], key[(separator + 1)..]);
    }
}
