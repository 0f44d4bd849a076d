using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Storage.Journal;

/// <summary>The database a journal test class shares: a fresh SQLite file or a fresh PostgreSQL schema, removed after the class.</summary>
public abstract class JournalDatabase : IAsyncLifetime
{
    private JournalDatabase(StorageUnderTest storage) => Storage = storage;

    public StorageUnderTest Storage { get; }

    public ValueTask InitializeAsync() => new(Storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await Storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A SQLite file of its own.</summary>
    public sealed class Sqlite() : JournalDatabase(StorageUnderTest.Sqlite());

    /// <summary>A schema of its own on the shared PostgreSQL server (started on first use).</summary>
    public sealed class Postgres() : JournalDatabase(StorageUnderTest.Postgres())
    {
        public string ConnectionString => Storage.Settings["ConnectionStrings:AgentGrains"]!;

        public string Schema => Storage.Settings["Storage:Schema"]!;
    }
}
