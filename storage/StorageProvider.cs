namespace AgentGrains.Storage;

/// <summary>Where durable data lives.</summary>
public enum StorageProvider
{
    /// <summary>An embedded SQLite file: one process, no server to install.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: what several silos share (<c>ConnectionStrings:AgentGrains</c>).</summary>
    PostgreSQL,
}
