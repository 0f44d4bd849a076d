using AgentGrains.Grains.Agents;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Gateway;

/// <summary>One running gateway shared by the tests of a class; each test uses its own session ids.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    /// <summary>A second agent (besides the built-in assistant), so a session can conflict with another agent.</summary>
    public const string OtherAgent = "other";

    private readonly TempDirectory directory = new();

    public GatewayFixture()
    {
        App = new GatewayApp(
            directory.File("gateway.db"),
            services: static s => s.AddSingleton(new AgentDefinition(OtherAgent, "You are another agent.", [])));
    }

    public GatewayApp App { get; }

    public HttpClient Client { get; private set; } = null!;

    public ValueTask InitializeAsync()
    {
        Client = App.CreateClient();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        directory.Dispose();
    }
}
