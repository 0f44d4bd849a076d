namespace AgentGrains.Storage.Journal;

/// <summary>A journal that prepares its database (migrations, writer) before first use.</summary>
internal interface IInitializableJournal
{
    /// <summary>Prepares the database, once; every read and commit awaits it, so calling it only moves the work (and its failure) earlier.</summary>
    /// <exception cref="StorageException">The database could not be opened or migrated; a later call tries again.</exception>
    Task InitializeAsync(CancellationToken cancellationToken);
}
