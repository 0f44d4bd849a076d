using System.Security.Claims;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.GrainInterfaces.Memory;
using AgentGrains.GrainInterfaces.Outbox;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.GrainInterfaces.Tenants;
using Orleans;

namespace AgentGrains.Client.Gateway.Tenants;

/// <summary>The grains of the caller's tenant: sessions, memories and the outbox, named by the ids clients use.</summary>
/// <remarks>
/// The one place the gateway turns a client's id into a grain key (<see cref="TenantKeys"/>): every
/// session, run, event stream and memory a request names is looked up within its key's tenant, so
/// another tenant's is one that does not exist (404), and two tenants may use the same ids.
/// </remarks>
/// <param name="grains">The cluster's grains.</param>
/// <param name="tenant">The caller's tenant; null for an open gateway's caller (no tenant).</param>
/// <param name="policy">What the tenant may do (<c>Tenants:&lt;tenant&gt;</c>).</param>
internal sealed class TenantGrains(IGrainFactory grains, string? tenant, TenantOptions policy)
{
    /// <summary>The grains of <paramref name="user"/>'s tenant.</summary>
    public TenantGrains(IGrainFactory grains, ClaimsPrincipal? user, TenantsOptions tenants)
        : this(grains, user is null ? null : GatewayIdentity.TenantOf(user), tenants)
    {
    }

    private TenantGrains(IGrainFactory grains, string? tenant, TenantsOptions tenants)
        : this(grains, tenant, tenants.For(tenant))
    {
    }

    /// <summary>The caller's tenant; null for none.</summary>
    public string? Tenant => tenant;

    /// <summary>What the tenant may do.</summary>
    public TenantOptions Policy => policy;

    /// <summary>Refuses an agent the tenant may not create sessions with, as if it did not exist (its name is not confirmed).</summary>
    /// <exception cref="UnknownAgentException">The tenant's allow-list leaves it out.</exception>
    public void EnsureAgent(string agent)
    {
        if (!policy.AllowsAgent(agent))
        {
            throw new UnknownAgentException($"Unknown agent '{agent}'; known agents: {string.Join(", ", policy.Agents.Order(StringComparer.Ordinal))}.");
        }
    }

    /// <summary>The cluster's grains, for what belongs to no tenant (the catalog, the cluster).</summary>
    public IGrainFactory All => grains;

    /// <summary>The session <paramref name="sessionId"/> of the tenant.</summary>
    public IAgentSessionGrain Session(string sessionId) => grains.GetGrain<IAgentSessionGrain>(TenantKeys.Key(tenant, sessionId));

    /// <summary>The long-term memory of the tenant's user <paramref name="userId"/>.</summary>
    public IUserMemoryGrain Memory(string userId) => grains.GetGrain<IUserMemoryGrain>(TenantKeys.Key(tenant, userId));

    /// <summary>The tenant's outbox.</summary>
    public IOutboxGrain Outbox() => grains.GetGrain<IOutboxGrain>(TenantKeys.Key(tenant, IOutboxGrain.Key));
}
