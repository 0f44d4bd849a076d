namespace AgentGrains.Storage.Cluster;

/// <summary>Where silos record cluster membership, and so how silos and clients find each other (<c>Cluster:Provider</c>).</summary>
public enum ClusterProvider
{
    /// <summary>
    /// One silo on this machine with Orleans' development membership (<c>UseLocalhostClustering</c>);
    /// clients connect to the gateway port on the loopback address. Nothing to install.
    /// </summary>
    Localhost,

    /// <summary>A membership table in Redis (Microsoft.Orleans.Clustering.Redis), reached through <c>ConnectionStrings:Redis</c>.</summary>
    Redis,

    /// <summary>A membership table in PostgreSQL (Microsoft.Orleans.Clustering.AdoNet).</summary>
    AdoNet,
}
