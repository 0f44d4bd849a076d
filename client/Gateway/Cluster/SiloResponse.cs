namespace AgentGrains.Client.Gateway.Cluster;

/// <summary>One silo in <c>GET /v1/cluster</c>, as Orleans' membership table holds it.</summary>
/// <param name="Id">The silo's name.</param>
/// <param name="Address">Its Orleans address (<c>ip:port@generation</c>).</param>
/// <param name="Status"><c>joining</c>, <c>active</c>, <c>shutting_down</c>, <c>stopping</c> or <c>dead</c>.</param>
/// <param name="LastHeartbeat">The last time it wrote that it is alive.</param>
/// <param name="Activations">Grains active on it now (0 for a silo that is not active).</param>
public sealed record SiloResponse(string Id, string Address, string Status, DateTimeOffset LastHeartbeat, int Activations);
