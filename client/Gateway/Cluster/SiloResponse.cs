namespace AgentGrains.Client.Gateway.Cluster;

/// <summary>One silo in <c>GET /v1/cluster</c>.</summary>
/// <param name="Id">The silo's id.</param>
/// <param name="Address">Where it serves the gateway API.</param>
/// <param name="Status"><c>active</c>, <c>draining</c> or <c>dead</c>.</param>
/// <param name="LastHeartbeat">Its last heartbeat (database clock).</param>
/// <param name="Activations">Grains active on it at that heartbeat.</param>
public sealed record SiloResponse(string Id, string Address, string Status, DateTimeOffset LastHeartbeat, int Activations);
