using AgentGrains.Grains.Agents;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Gateway;

/// <summary>One running gateway shared by the tests of a class; each test uses its own session ids.</summary>
/// <remarks>One nested subclass per storage provider, so a test class can run on each.</remarks>
public abstract class GatewayFixture(StorageUnderTest storage) : IAsyncLifetime
{
    /// <summary>A second agent (besides the built-in assistant), so a session can conflict with another agent.</summary>
    public const string OtherAgent = "other";

    public GatewayApp App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The database the app keeps its data in.</summary>
    public StorageUnderTest Storage => storage;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        App = new GatewayApp(storage, services: static s => s.AddSingleton(new AgentDefinition(OtherAgent, "You are another agent.", [])));
        Client = App.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    public sealed class Sqlite() : GatewayFixture(StorageUnderTest.Sqlite())
    {
    }

    public sealed class Postgres() : GatewayFixture(StorageUnderTest.Postgres())
    {
    }
}
