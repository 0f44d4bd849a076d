using AgentGrains.Storage.Journal;
using AgentGrains.Storage.Memory;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentGrains.Tests.Storage.Memory;

public sealed class MemoryStoreRegistrationTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public async Task AddMemoryStore_Sqlite_SharesTheJournalsFileAndDisposalReleasesIt()
    {
        using var directory = new TempDirectory();
        var path = directory.File("agentgrains.db");
        var host = BuildHost(new() { ["Storage:Path"] = path }, journal: true);
        await host.StartAsync(Ct);
        var store = host.Services.GetRequiredService<IMemoryStore>();

        var fact = await store.RememberAsync(new NewMemoryFact("ada", "My name is Ada", "s", "r", 1, "k", At), Ct);
        await host.Services.GetRequiredService<ISessionJournal>().CommitAsync(new JournalCommit("s", 0, "{}", [], [], At), Ct);

        Assert.IsType<SqliteMemoryStore>(store);
        Assert.Equal(Path.GetFullPath(path), ((SqliteMemoryStore)store).FilePath);
        Assert.Equal([fact], await store.SearchAsync("ada", "name", 10, Ct));
        await host.StopAsync(Ct);
        host.Dispose();
        // The last connection to close checkpoints the WAL and deletes it: nothing holds the file.
        Assert.False(File.Exists(path + "-wal"), "the store and the journal closed the file when the host was disposed");
    }

    [Fact]
    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public async Task AddMemoryStore_Postgres_UsesTheConfiguredSchema()
    {
        await using var database = StorageUnderTest.Postgres();
        await database.InitializeAsync();
        var host = BuildHost(new(database.Settings), journal: false);
        try
        {
            await host.StartAsync(Ct);
            var store = host.Services.GetRequiredService<IMemoryStore>();

            await store.RememberAsync(new NewMemoryFact("ada", "My name is Ada", "s", "r", 1, "k", At), Ct);

            Assert.IsType<PostgresMemoryStore>(store);
            Assert.Equal(1L, await database.ScalarAsync("SELECT COUNT(*) FROM memories WHERE user_id = 'ada'"));
            await host.StopAsync(Ct);
        }
        finally
        {
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    [Trait("Provider", "None")]
    public async Task AddMemoryStore_StoreRegisteredBefore_KeepsItAndAddsOneRegistration()
    {
        var services = new ServiceCollection();
        var mine = new NoMemory();
        services.AddSingleton<IMemoryStore>(mine);

        services.AddMemoryStore();
        services.AddMemoryStore();

        Assert.Single(services, d => d.ServiceType == typeof(IMemoryStore));
        await using var provider = services.BuildServiceProvider();
        Assert.Same(mine, provider.GetRequiredService<IMemoryStore>());
    }

    private static IHost BuildHost(Dictionary<string, string?> settings, bool journal)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMemoryStore();
        if (journal)
        {
            builder.Services.AddSessionJournal();
        }

        return builder.Build();
    }

    private sealed class NoMemory : IMemoryStore
    {
        public Task<MemoryFact> RememberAsync(NewMemoryFact fact, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<MemoryFact>> SearchAsync(string userId, string query, int limit, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<MemoryFact>>([]);

        public Task<IReadOnlyList<MemoryFact>> ReadEmbeddedAsync(string userId, int limit, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<MemoryFact>>([]);

        public Task<IReadOnlyList<MemoryFact>> ListAsync(string userId, long before, int limit, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<MemoryFact>>([]);

        public Task<bool> DeleteAsync(string userId, long id, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task<int> DeleteAllAsync(string userId, CancellationToken cancellationToken) => Task.FromResult(0);
    }
}
