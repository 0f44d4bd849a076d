using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Cli;

/// <summary>A silo executable as its own process on a free loopback port, over a fresh SQLite file: the gateway the CLI tests talk to.</summary>
public sealed class CliSilo : IAsyncLifetime
{
    /// <summary>The test collection that shares one silo.</summary>
    public const string Collection = "cli";

    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();
    private NodeProcess? silo;

    /// <summary>The gateway's address, e.g. <c>http://127.0.0.1:43123</c>.</summary>
    public Uri Address => silo!.Address;

    /// <summary>A client for setting up and checking what the CLI did.</summary>
    public HttpClient Http { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        var settings = new Dictionary<string, string?>(storage.Settings)
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Dashboard:Enabled"] = "false",
        };
        silo = await NodeProcess.StartSiloAsync("silo", settings, TestContext.Current.CancellationToken);
        Http = new HttpClient { BaseAddress = silo.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (silo is not null)
        {
            await silo.DisposeAsync();
        }

        await storage.DisposeAsync();
    }
}

/// <summary>The CLI test classes share one silo (each test uses sessions of its own).</summary>
[CollectionDefinition(CliSilo.Collection)]
public sealed class CliSiloGroup : ICollectionFixture<CliSilo>
{
}
