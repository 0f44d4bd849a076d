namespace AgentGrains.Runtime.Storage;

/// <summary>Where grains keep their state, bound from the <c>Storage</c> configuration section.</summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Storage";

    /// <summary>The storage provider; default <see cref="StorageProvider.Sqlite"/>.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>The SQLite database file; default <c>data/agentgrains.db</c> (relative to the working directory).</summary>
    public string Path { get; set; } = "data/agentgrains.db";

    /// <summary>
    /// Whether every SQLite commit is flushed to disk before it is acknowledged; default <c>true</c>
    /// (<c>synchronous=FULL</c>). <c>false</c> survives a process crash but may lose the last commits
    /// on power loss.
    /// </summary>
    public bool FlushEachCommit { get; set; } = true;
}
