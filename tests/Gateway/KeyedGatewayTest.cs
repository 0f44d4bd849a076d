using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>A test class over one silo app (SQLite) with API keys configured: its keys, settings and clients that send a key.</summary>
public abstract class KeyedGatewayTest : IAsyncLifetime
{
    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();
    private GatewayApp? app;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The app, started by <see cref="InitializeAsync"/>.</summary>
    protected GatewayApp App => app ?? throw new InvalidOperationException("InitializeAsync has not run.");

    /// <summary>The settings of the app: its keys (<see cref="Key"/>) and whatever else the class tests.</summary>
    protected abstract IReadOnlyDictionary<string, string?> Settings { get; }

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        app = new GatewayApp(storage, Settings);
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>The settings of one API key: <paramref name="key"/>'s hash, its tenant and its roles (none: the default, user).</summary>
    protected static IEnumerable<KeyValuePair<string, string?>> Key(string name, string key, string tenant, params string[] roles) =>
        new Dictionary<string, string?>
        {
            [$"Gateway:ApiKeys:{name}:Hash"] = ApiKeyAuthenticationHandler.Hash(key),
            [$"Gateway:ApiKeys:{name}:Tenant"] = tenant,
        }.Concat(roles.Select((role, i) => new KeyValuePair<string, string?>($"Gateway:ApiKeys:{name}:Roles:{i}", role)));

    /// <summary>A client of the app that sends <c>Authorization: Bearer <paramref name="key"/></c>; none when null.</summary>
    protected HttpClient Client(string? key) => Authorized(key is null ? null : "Bearer " + key);

    /// <summary>A client of the app that sends <paramref name="authorization"/> as its Authorization header, as is; none when null.</summary>
    protected HttpClient Authorized(string? authorization)
    {
        var client = App.CreateClient();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        return client;
    }
}
