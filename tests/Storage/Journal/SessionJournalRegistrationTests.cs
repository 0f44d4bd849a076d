using AgentGrains.Storage.Journal;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentGrains.Tests.Storage.Journal;

public sealed class SessionJournalRegistrationTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public async Task AddSessionJournal_Sqlite_HostStartMigratesAndDisposalClosesTheFile()
    {
        using var directory = new TempDirectory();
        var path = directory.File("journal.db");
        var host = BuildHost(new() { ["Storage:Path"] = path });

        await host.StartAsync(TestContext.Current.CancellationToken);
        // Migrated by the start, before anything used the journal.
        Assert.Equal(1L, await SqliteScalarAsync(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'message_keys'"));
        var journal = host.Services.GetRequiredService<ISessionJournal>();
        await journal.CommitAsync(new JournalCommit("s", 0, "{}", [new("history", 0, "1")], [new("k", "r", "o")], At), CancellationToken.None);
        await host.StopAsync(TestContext.Current.CancellationToken);
        host.Dispose();

        // The last connection to close checkpoints the WAL and deletes it: nothing of the journal holds the file.
        Assert.False(File.Exists(path + "-wal"), "the journal closed the file when the host was disposed");
        Assert.Equal(1L, await SqliteScalarAsync(path, "SELECT version FROM grain_state WHERE grain_id = 's' AND name = 'session'"));
    }

    [Fact]
    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public async Task AddSessionJournal_PostgresWithConnectionStringsAgentGrains_UsesItAndTheConfiguredSchema()
    {
        await using var database = StorageUnderTest.Postgres();
        await database.InitializeAsync();
        var host = BuildHost(new(database.Settings));
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            var journal = host.Services.GetRequiredService<ISessionJournal>();
            await journal.CommitAsync(new JournalCommit("s", 0, "{}", [], [new("k", "r", "o")], At), CancellationToken.None);

            Assert.Equal(1L, await database.ScalarAsync("SELECT COUNT(*) FROM message_keys WHERE grain_id = 's'"));
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            host.Dispose();
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    [Trait("Provider", "None")]
    public async Task AddSessionJournal_PostgresWithoutConnectionStringAndABadSchema_HostStartFailsNamingBoth()
    {
        using var host = BuildHost(new() { ["Storage:Provider"] = "PostgreSQL", ["Storage:Schema"] = "Bad-Schema" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(error.Failures, f => f.Contains("ConnectionStrings:AgentGrains", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Storage:Schema", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "Unit")]
    [Trait("Provider", "None")]
    public void AddSessionJournal_CalledTwice_RegistersOneJournalAndOneStartup()
    {
        var services = new ServiceCollection();

        services.AddSessionJournal();
        services.AddSessionJournal();

        Assert.Single(services, d => d.ServiceType == typeof(ISessionJournal));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSessionJournal();
        return builder.Build();
    }

    private static async Task<object?> SqliteScalarAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
