using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AgentGrains.Grains;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Tools;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace AgentGrains.Tests.Grains.Tools;

/// <summary>The <c>notify</c> tool against a real HTTP server (Kestrel on a free loopback port).</summary>
/// <remarks>The receiver is on loopback on purpose, so the tool's client is the production one with <c>Tools:Notify:AllowPrivateNetworks=true</c>.</remarks>
[Trait("Category", "Integration")]
[Trait("Provider", "None")]
public sealed class WebhookToolTests : IAsyncLifetime
{
    private static readonly string[] Notify = [WebhookTool.Name];

    private static readonly Dictionary<string, string?> AllowPrivateNetworks = new() { ["Tools:Notify:AllowPrivateNetworks"] = "true" };

    private readonly WebhookServer server = new();
    private ServiceProvider httpServices = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await server.StartAsync(Ct);
        httpServices = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(AllowPrivateNetworks).Build())
            .AddNotifyHttpClient()
            .BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await httpServices.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task InvokeAsync_Notify_PostsTheMessageWithTheContextsIdempotencyKey()
    {
        var registry = CreateRegistry("/hook");
        var context = new ToolContext("s1", "run-1", step: 2, callIndex: 0, WebhookTool.Name);

        var result = await registry.InvokeAsync(Call(new() { ["message"] = "deploy finished", ["channel"] = "ops" }), context, Notify, Ct);

        Assert.Equal(ToolResult.Success("notification sent (HTTP 200)."), result);
        var received = Assert.Single(server.Received);
        Assert.Equal("run-1:2:0", received.IdempotencyKey);
        Assert.Equal(context.IdempotencyKey, received.IdempotencyKey);
        Assert.Equal("application/json", received.ContentType);
        using var body = JsonDocument.Parse(received.Body);
        Assert.Equal("deploy finished", body.RootElement.GetProperty("message").GetString());
        Assert.Equal("ops", body.RootElement.GetProperty("channel").GetString());
        Assert.Equal("s1", body.RootElement.GetProperty("sessionId").GetString());
        Assert.Equal("run-1", body.RootElement.GetProperty("runId").GetString());
    }

    [Fact]
    public async Task InvokeAsync_SameCallInvokedAgainAfterACrash_SendsTheSameKeyAndTheEffectHappensOnce()
    {
        var registry = CreateRegistry("/hook");
        var call = Call(new() { ["message"] = "invoice sent" });

        // The engine's resume rebuilds the context from the journal: an equal one, not the same object.
        var first = await registry.InvokeAsync(call, new ToolContext("s1", "run-2", 1, 0, WebhookTool.Name), Notify, Ct);
        var retried = await registry.InvokeAsync(call, new ToolContext("s1", "run-2", 1, 0, WebhookTool.Name), Notify, Ct);
        var nextCall = await registry.InvokeAsync(call, new ToolContext("s1", "run-2", 1, 1, WebhookTool.Name), Notify, Ct);

        Assert.False(first.IsError);
        Assert.False(retried.IsError);
        Assert.False(nextCall.IsError);
        Assert.Equal(["run-2:1:0", "run-2:1:0", "run-2:1:1"], server.Received.Select(r => r.IdempotencyKey));
        Assert.Equal(["run-2:1:0", "run-2:1:1"], server.Applied.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task InvokeAsync_WebhookAnswers500_ReturnsErrorWithTheStatusAndBody()
    {
        var registry = CreateRegistry("/broken");

        var result = await registry.InvokeAsync(Call(new() { ["message"] = "hello" }), new ToolContext("s1", "run-3", 1, 0, WebhookTool.Name), Notify, Ct);

        Assert.True(result.IsError);
        Assert.StartsWith("error: 'notify' failed: HttpRequestException: the webhook answered 500 Internal Server Error: queue is full", result.Content, StringComparison.Ordinal);
        Assert.Empty(server.Applied);
    }

    [Fact]
    public async Task InvokeAsync_EmptyMessage_ReturnsErrorWithoutCallingTheWebhook()
    {
        var registry = CreateRegistry("/hook");

        var result = await registry.InvokeAsync(Call(new() { ["message"] = " " }), new ToolContext("s1", "run-4", 1, 0, WebhookTool.Name), Notify, Ct);

        Assert.Equal(ToolResult.Error("'notify' failed: the message is empty; write the text to send. (Parameter 'message')"), result);
        Assert.Empty(server.Received);
    }

    [Fact]
    public void Create_Options_GiveTheDeclaredPolicyAndConfirmationFromConfiguration()
    {
        var tool = WebhookTool.Create(HttpClients, new NotifyToolOptions { Url = server.Url("/hook"), NeedsConfirmation = true });

        Assert.Equal(WebhookTool.Name, tool.Name);
        Assert.Equal("Sends a short notification message to the configured webhook", tool.Description);
        Assert.Equal(new AgentToolSettings { Timeout = TimeSpan.FromSeconds(10), Risk = ToolRisk.Medium, HasSideEffects = true, NeedsConfirmation = true }, tool.Settings);
        var schema = tool.Function.JsonSchema;
        Assert.Equal(["message", "channel"], schema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["message"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(WebhookTool.Create(HttpClients, new NotifyToolOptions { Url = server.Url("/hook") }).NeedsConfirmation);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://hooks.example.com/x")]
    [InlineData("/relative/path")]
    public void Validator_UrlThatIsNotHttp_FailsWithoutEchoingIt(string url)
    {
        var result = new NotifyToolOptionsValidator().Validate(null, new NotifyToolOptions { Url = url });

        Assert.True(result.Failed);
        Assert.Contains("Tools:Notify:Url is not an absolute http or https URL", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(url, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://[::1]:5000/hook")]
    [InlineData("http://[::ffff:192.168.0.10]/hook")]
    [InlineData("http://[fd00::1]/hook")]
    [InlineData("http://localhost:5000/hook")]
    public void Validator_PrivateLiteralWithoutAllowPrivateNetworks_FailsNamingTheSetting(string url)
    {
        var result = new NotifyToolOptionsValidator().Validate(null, new NotifyToolOptions { Url = url });

        Assert.True(result.Failed);
        Assert.Contains("Tools:Notify:AllowPrivateNetworks=true", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(url, result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new NotifyToolOptionsValidator().Validate(null, new NotifyToolOptions { Url = url, AllowPrivateNetworks = true }).Succeeded);
    }

    [Theory]
    [InlineData("https://hooks.example.com/agents")]
    [InlineData("https://93.184.216.34/hook")]
    [InlineData("http://[2606:2800:220:1:248:1893:25c8:1946]/hook")]
    [InlineData("http://internal.corp/hook")]
    public void Validator_PublicLiteralOrHostName_Succeeds(string url)
    {
        // A host name is checked when connecting, once resolved: a start-up check would be rebound around.
        Assert.True(new NotifyToolOptionsValidator().Validate(null, new NotifyToolOptions { Url = url }).Succeeded);
    }

    [Fact]
    public async Task AddAgentSessions_LoopbackUrlWithoutAllowPrivateNetworks_RefusesTheOptions()
    {
        await using var provider = BuildSilo(new() { ["Tools:Notify:Url"] = server.Url("/hook") });

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<NotifyToolOptions>>().Value);

        Assert.Contains("Tools:Notify:AllowPrivateNetworks=true", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_LoopbackWebhookWithoutAllowPrivateNetworks_ReturnsErrorNamingTheSettingAndSendsNothing()
    {
        await using var guarded = GuardedHttpClients(resolve: null);
        var registry = Registry(guarded, server.Url("/hook"));

        var result = await registry.InvokeAsync(Call(new() { ["message"] = "hello" }), new ToolContext("s1", "run-5", 1, 0, WebhookTool.Name), Notify, Ct);

        Assert.Equal(
            ToolResult.Error("'notify' failed: the webhook's address (127.0.0.1) is loopback, link-local or in a private or reserved network, so nothing was sent; an operator allows such addresses with Tools:Notify:AllowPrivateNetworks=true."),
            result);
        Assert.Empty(server.Received);
    }

    /// <summary>DNS rebinding: a host name that passes the start-up check resolves to loopback when the call connects.</summary>
    [Fact]
    public async Task InvokeAsync_HostNameResolvingToLoopbackAtConnectTime_ReturnsErrorAndSendsNothing()
    {
        var port = new Uri(server.Url("/")).Port;
        var lookups = new List<string>();
        await using var guarded = GuardedHttpClients((host, _) =>
        {
            lookups.Add(host);
            return Task.FromResult(new[] { IPAddress.Loopback });
        });
        var url = $"http://rebind.example.com:{port}/hook";
        Assert.True(new NotifyToolOptionsValidator().Validate(null, new NotifyToolOptions { Url = url }).Succeeded);
        var registry = Registry(guarded, url);

        var result = await registry.InvokeAsync(Call(new() { ["message"] = "hello" }), new ToolContext("s1", "run-6", 1, 0, WebhookTool.Name), Notify, Ct);

        Assert.True(result.IsError);
        Assert.Contains("Tools:Notify:AllowPrivateNetworks=true", result.Content, StringComparison.Ordinal);
        Assert.DoesNotContain("rebind.example.com", result.Content, StringComparison.Ordinal);
        Assert.Equal(["rebind.example.com"], lookups);
        Assert.Empty(server.Received);
    }

    [Fact]
    public void Validator_NoUrl_Succeeds()
    {
        Assert.True(new NotifyToolOptionsValidator().Validate(null, new NotifyToolOptions()).Succeeded);
    }

    [Fact]
    public async Task AddAgentSessions_UrlConfigured_RegistersNotifyWithConfiguredConfirmation()
    {
        await using var provider = BuildSilo(new(AllowPrivateNetworks) { ["Tools:Notify:Url"] = server.Url("/hook"), ["Tools:Notify:NeedsConfirmation"] = "true" });

        var registry = provider.GetRequiredService<ToolRegistry>();

        Assert.True(registry.TryGet(WebhookTool.Name, out var tool));
        Assert.True(tool.NeedsConfirmation);
        Assert.DoesNotContain(WebhookTool.Name, BuiltInAgents.Assistant.Tools);
    }

    [Fact]
    public async Task AddAgentSessions_NoUrl_HasNoNotifyTool()
    {
        await using var provider = BuildSilo([]);

        var registry = provider.GetRequiredService<ToolRegistry>();

        Assert.False(registry.Contains(WebhookTool.Name));
        Assert.True(registry.Contains(CalculatorTool.Name));
    }

    private IHttpClientFactory HttpClients => httpServices.GetRequiredService<IHttpClientFactory>();

    private static ServiceProvider BuildSilo(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddOrleans(static silo => silo.AddAgentSessions());
        return services.BuildServiceProvider();
    }

    private ToolRegistry CreateRegistry(string path) => Registry(httpServices, server.Url(path));

    private static ToolRegistry Registry(IServiceProvider services, string url) =>
        new([WebhookTool.Create(services.GetRequiredService<IHttpClientFactory>(), new NotifyToolOptions { Url = url })], TimeProvider.System, NullLogger<ToolRegistry>.Instance);

    /// <summary>The tool's client as configured without <c>AllowPrivateNetworks</c>, resolving names with <paramref name="resolve"/> (the system's DNS when null).</summary>
    private static ServiceProvider GuardedHttpClients(Func<string, CancellationToken, Task<IPAddress[]>>? resolve)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(WebhookTool.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => WebhookAddressGuard.CreateHandler(allowPrivateNetworks: false, new WebhookAddressGuard(resolve)));
        return services.BuildServiceProvider();
    }

    private static FunctionCallContent Call(Dictionary<string, object?> arguments) => new("call_1", WebhookTool.Name, arguments);

    /// <summary>A webhook receiver that deduplicates by Idempotency-Key, as the contract asks receivers to.</summary>
    private sealed class WebhookServer : IAsyncDisposable
    {
        private readonly WebApplication app;
        private string baseAddress = string.Empty;

        public WebhookServer()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            app = builder.Build();
            app.MapPost("/hook", async (HttpRequest request) =>
            {
                var received = await ReceiveAsync(request);
                // The effect (here: remembering the message) is applied once per key; a repeat is acknowledged.
                Applied.TryAdd(received.IdempotencyKey ?? string.Empty, received.Body);
                return Results.Ok();
            });
            app.MapPost("/broken", async (HttpRequest request) =>
            {
                await ReceiveAsync(request);
                return Results.Text("queue is full", statusCode: StatusCodes.Status500InternalServerError);
            });
        }

        public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

        public ConcurrentDictionary<string, string> Applied { get; } = new(StringComparer.Ordinal);

        public string Url(string path) => baseAddress + path;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await app.StartAsync(cancellationToken);
            var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            baseAddress = Assert.Single(addresses);
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();

        private async Task<ReceivedRequest> ReceiveAsync(HttpRequest request)
        {
            using var reader = new StreamReader(request.Body);
            var received = new ReceivedRequest(request.Headers["Idempotency-Key"].ToString(), request.ContentType?.Split(';')[0], await reader.ReadToEndAsync());
            Received.Enqueue(received);
            return received;
        }
    }

    private sealed record ReceivedRequest(string? IdempotencyKey, string? ContentType, string Body);
}
