using System.Text.Json;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Tests.Grains.Models;

/// <summary>A silo configured with <c>Model:*</c> settings, its sessions answered through <see cref="FakeOpenAIServer"/>.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class OpenAIModelSessionTests : IAsyncLifetime
{
    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();
    private FakeOpenAIServer server = null!;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        server = await FakeOpenAIServer.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        await storage.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_ModelProviderOpenAI_AssistantAnswersThroughTheServerWithToolRoundTrip()
    {
        server.RequiredApiKey = "sk-silo";
        server.Enqueue(
            FakeResponse.Call("calculator", """{"expression":"6*7"}""", id: "call_x", usage: new FakeUsage(50, 10)),
            FakeResponse.Text("It is 42.", new FakeUsage(70, 5)));
        await using var cluster = await SessionCluster.StartAsync(storage, settings: new Dictionary<string, string?>
        {
            ["Model:Provider"] = "OpenAI",
            ["Model:Name"] = "silo-model",
            ["Model:BaseUrl"] = server.BaseUrl.ToString(),
            ["Model:ApiKey"] = "sk-silo",
        });
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("openai");
        await session.CreateAsync(BuiltInAgents.AssistantName);

        var result = await session.SendAsync("what is 6*7?");

        Assert.Equal("It is 42.", result.Reply);
        Assert.IsType<OpenAIChatClient>(cluster.SiloService<IChatClient>());
        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal("silo-model", r.Model));
        Assert.Contains("calculator", requests[0].Tools.Select(t => t.Name));
        Assert.Equal(["system", "user"], requests[0].Messages.Select(m => m.Role));
        Assert.Equal(["system", "user", "assistant", "tool"], requests[1].Messages.Select(m => m.Role));
        Assert.Equal("call_x", Assert.Single(requests[1].Messages[2].ToolCalls).Id);
        Assert.Equal(("call_x", "42"), (requests[1].Messages[3].ToolCallId, requests[1].Messages[3].Content));
        var history = await session.GetHistoryAsync();
        Assert.Equal(["user", "assistant", "tool", "assistant"], history.Select(e => e.Role));
        Assert.Equal("6*7", JsonDocument.Parse(Assert.Single(history[1].ToolCalls!).Arguments).RootElement.GetProperty("expression").GetString());
    }

    [Fact]
    public async Task StartAsync_ProviderOpenAIWithoutName_HostRefusesToStartSayingHowToFix()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SessionCluster.StartAsync(
            storage,
            settings: new Dictionary<string, string?> { ["Model:Provider"] = "OpenAI", ["Model:ApiKey"] = "sk" }));

        Assert.Contains("Model:Name is empty but Model:Provider is OpenAI; set it to the model id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_AgentModelTimeoutWithoutRoomForARetry_HostRefusesToStartNamingBothSettings()
    {
        var settings = new Dictionary<string, string?>(server.ModelSettings)
        {
            ["Agents:quick:Instructions"] = "Answer at once.",
            ["Agents:quick:ModelTimeout"] = "00:01:30",
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SessionCluster.StartAsync(storage, settings: settings));

        Assert.Contains(
            "agent 'quick' has a ModelTimeout of 00:01:30, too short to retry a model request that hangs: one attempt (Model:RequestTimeout 00:01:00), the longest wait before a retry (Model:MaxRetryDelay 00:00:20) and a second attempt take 00:02:20; "
            + "set the agent's ModelTimeout to 00:02:20 or more, or lower Model:RequestTimeout to at most 00:00:35",
            error.Message,
            StringComparison.Ordinal);
        // The built-in agents keep the default ModelTimeout, which fits the default model settings.
        Assert.DoesNotContain("'assistant'", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task StartAsync_KeyWithoutProvider_ScriptedModelAndOneWarningWithoutTheKey()
    {
        var logs = new RecordingLoggerProvider();
        await using var cluster = await SessionCluster.StartAsync(
            storage,
            services: services => services.AddSingleton<ILoggerProvider>(logs),
            settings: new Dictionary<string, string?> { ["OPENAI_API_KEY"] = "sk-secret-value" });

        Assert.IsType<ScriptedChatClient>(cluster.SiloService<IChatClient>());
        var warning = Assert.Single(logs.Entries, e => e.Category == "AgentGrains.Grains.Models.ModelStartupCheck");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Model:Provider=OpenAI", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret-value", string.Join("\n", logs.Entries.Select(e => e.Message)), StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }
}
