namespace AgentGrains.Storage;

/// <summary>Where durable data lives (session journals, grain state, reminders), bound from the <c>Storage</c> configuration section.</summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Storage";

    /// <summary>The name under <c>ConnectionStrings</c> that holds the PostgreSQL connection string.</summary>
    public const string ConnectionStringName = "AgentGrains";

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

    /// <summary>
    /// The PostgreSQL connection string (Npgsql keywords); taken from <c>ConnectionStrings:AgentGrains</c>
    /// when that is set. Required when <see cref="Provider"/> is <see cref="StorageProvider.PostgreSQL"/>.
    /// </summary>
    /// <remarks>It may hold a password, so it is never logged or echoed in a validation message.</remarks>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The PostgreSQL schema holding every table, created at start-up if missing; default <c>agentgrains</c>.
    /// Lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters.
    /// </summary>
    /// <remarks>Silos that share a schema form one cluster; a schema per test keeps parallel tests apart.</remarks>
    public string Schema { get; set; } = "agentgrains";
}
