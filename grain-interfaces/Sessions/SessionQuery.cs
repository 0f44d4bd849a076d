using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>Which sessions one page of <see cref="ISessionDirectoryGrain.ListAsync"/> holds.</summary>
/// <param name="After">The last session id of the previous page (<see cref="SessionPage.Next"/>); null for the first page.</param>
/// <param name="Limit">The most sessions the page holds, 1 to <see cref="MaxLimit"/>.</param>
/// <param name="Agent">Only sessions created with this agent; null for all.</param>
/// <param name="IncludeSpecialists">Whether the sessions runs started for their specialists (ids containing <c>~</c>) are listed too.</param>
/// <param name="Tenant">Only the sessions of this tenant (listed by their ids within it); null for the sessions of no tenant.</param>
[GenerateSerializer]
[Alias("agentgrains.SessionQuery")]
public sealed record SessionQuery(string? After, int Limit, string? Agent = null, bool IncludeSpecialists = false, string? Tenant = null)
{
    /// <summary>The largest page a query may ask for.</summary>
    public const int MaxLimit = 100;
}
