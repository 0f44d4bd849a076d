namespace AgentGrains.Client.Gateway.Cluster;

/// <summary>The body of <c>GET /v1/cluster</c>.</summary>
/// <param name="Silos">Every silo that ever registered and is not yet removed, oldest first.</param>
public sealed record ClusterResponse(IReadOnlyList<SiloResponse> Silos);
