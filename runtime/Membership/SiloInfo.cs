namespace AgentGrains.Runtime.Membership;

/// <summary>One silo as the membership table records it.</summary>
/// <param name="Id">The silo's id.</param>
/// <param name="Address">Where the silo serves the gateway API.</param>
/// <param name="Status"><c>active</c>, <c>draining</c> or <c>dead</c> (<see cref="SiloStates"/>).</param>
/// <param name="StartedAt">When it registered.</param>
/// <param name="LastHeartbeat">Its last heartbeat, by the database's clock.</param>
/// <param name="Activations">The number of grains it had active at its last heartbeat.</param>
public sealed record SiloInfo(string Id, string Address, string Status, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeat, int Activations);
