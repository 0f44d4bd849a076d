namespace AgentGrains.Client.Gateway.Cluster;

/// <summary>The body of <c>GET /v1/cluster</c>.</summary>
/// <param name="Silos">Every silo in the membership table (dead ones until Orleans cleans them up), oldest first.</param>
public sealed record ClusterResponse(IReadOnlyList<SiloResponse> Silos);
