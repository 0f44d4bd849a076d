namespace AgentGrains.Runtime.Storage;

/// <summary>The storage providers the runtime ships.</summary>
public enum StorageProvider
{
    /// <summary>An embedded SQLite file: one process, no server to install.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: what several silos share (<c>ConnectionStrings:AgentGrains</c>).</summary>
    PostgreSQL,
}
