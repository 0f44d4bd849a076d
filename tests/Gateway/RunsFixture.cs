using AgentGrains.Grains.Agents;
using Orleans;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Gateway;

/// <summary>One running gateway for the runs API tests, with a per-run scripted model and test tools; each test uses its own sessions and texts.</summary>
/// <remarks>One nested subclass per storage provider.</remarks>
public abstract class RunsFixture(Func<StorageUnderTest> newStorage) : IAsyncLifetime
{
    /// <summary>An agent with the <c>noop</c> and <c>deploy</c> tools that queues messages behind an active run.</summary>
    public const string Runner = "runner";

    /// <summary>An agent that refuses messages while a run is active.</summary>
    public const string Strict = "strict";

    private StorageUnderTest? storage;

    public RunScriptModel Model { get; } = new();

    public RunTools Tools { get; } = new();

    public GatewayApp App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The gateway's grain factory, to compare the HTTP view with the grain's.</summary>
    public IGrainFactory Grains => App.Services.GetRequiredService<IGrainFactory>();

    /// <summary>A fresh storage of the fixture's provider, for a test that needs a gateway with other settings.</summary>
    public StorageUnderTest NewStorage() => newStorage();

    /// <summary>The model, tools and agents of the fixture's gateway, for another gateway of a test.</summary>
    public void ConfigureServices(IServiceCollection services) => AddRunServices(services, Model, Tools);

    /// <summary>Registers <paramref name="model"/>, the test tools and the <see cref="Runner"/> and <see cref="Strict"/> agents.</summary>
    public static void AddRunServices(IServiceCollection services, RunScriptModel model, RunTools tools)
    {
        services.AddSingleton<IChatClient>(model);
        services.AddSingleton(RunTools.NoopTool());
        services.AddSingleton(tools.DeployTool());
        services.AddSingleton(new AgentDefinition(Runner, "You run tools.", [RunTools.Noop, RunTools.Deploy]));
        services.AddSingleton(new AgentDefinition(Strict, "You do one thing at a time.", [RunTools.Noop]) { WhenBusy = WhenBusy.Reject });
    }

    public async ValueTask InitializeAsync()
    {
        storage = newStorage();
        await storage.InitializeAsync();
        App = new GatewayApp(storage, services: ConfigureServices);
        Client = App.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (storage is not null)
        {
            await storage.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    public sealed class Sqlite() : RunsFixture(StorageUnderTest.Sqlite)
    {
    }

    public sealed class Postgres() : RunsFixture(StorageUnderTest.Postgres)
    {
    }
}
