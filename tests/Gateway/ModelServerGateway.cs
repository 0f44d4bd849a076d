using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Gateway;

/// <summary>The silo executable over a fresh SQLite file whose model is the real OpenAI client against a <see cref="FakeOpenAIServer"/>.</summary>
public sealed class ModelServerGateway : IAsyncDisposable
{
    private readonly StorageUnderTest storage;

    private ModelServerGateway(StorageUnderTest storage, FakeOpenAIServer server, GatewayApp app)
    {
        this.storage = storage;
        Server = server;
        App = app;
        Client = app.CreateClient();
    }

    /// <summary>The model server every model call reaches.</summary>
    public FakeOpenAIServer Server { get; }

    /// <summary>The gateway, for its services.</summary>
    public GatewayApp App { get; }

    /// <summary>A client of the gateway.</summary>
    public HttpClient Client { get; }

    /// <summary>Starts the model server answering with <paramref name="respond"/>, then the gateway with <paramref name="settings"/> and <paramref name="services"/>.</summary>
    public static async Task<ModelServerGateway> StartAsync(
        Func<FakeChatRequest, FakeResponse> respond, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var storage = StorageUnderTest.Sqlite();
        await storage.InitializeAsync();
        var server = await FakeOpenAIServer.StartAsync();
        server.DefaultResponder = respond;
        var app = new GatewayApp(storage, new Dictionary<string, string?>(server.ModelSettings.Concat(settings ?? new Dictionary<string, string?>())), services);
        return new ModelServerGateway(storage, server, app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Server.DisposeAsync();
        await storage.DisposeAsync();
    }
}
