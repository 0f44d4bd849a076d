using AgentGrains.Grains;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Hosting;

using AgentGrains.Tests.Grains.Memory;

namespace AgentGrains.Tests.Grains;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class AgentCatalogTests
{
    private static readonly ToolRegistry Tools = new([CalculatorTool.Create(), ClockTool.Create(TimeProvider.System), SendMessageTool.Create(static () => throw new InvalidOperationException("No cluster here."), TimeProvider.System), .. NoMemoryStore.Tools()], TimeProvider.System, NullLogger<ToolRegistry>.Instance);

    [Fact]
    public void Constructor_InvalidDefinitions_ReportsEveryProblemAtOnce()
    {
        AgentDefinition[] definitions =
        [
            BuiltInAgents.Assistant,
            new("broken", "x", ["calculator", "teleport"]) { HistoryWindow = 0, MaxSteps = 0 },
            new("assistant", "again", []),
        ];

        var error = Assert.Throws<InvalidOperationException>(() => new AgentCatalog(definitions, Tools));

        Assert.Contains("agent 'broken' uses tool 'teleport', which is not registered", error.Message, StringComparison.Ordinal);
        Assert.Contains("HistoryWindow 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxSteps 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("two agents are named 'assistant'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidSpecialists_ReportsEveryProblemAtOnce()
    {
        var contract = SpecialistContract.For<Delegation.TaskRequest, string>("Does a task.");
        AgentDefinition[] definitions =
        [
            new("worker", "Work.", []) { Contract = contract },
            new("plain", "Chat.", []),
            new("calculator", "Clash.", []) { Contract = contract },
            new("boss", "Delegate.", ["calculator"]) { Specialists = ["worker", "ghost", "plain", "calculator", "worker"], Handoffs = ["nobody", "boss", "plain"] },
        ];

        var error = Assert.Throws<InvalidOperationException>(() => new AgentCatalog(definitions, Tools));

        Assert.Contains("agent 'boss' calls specialist 'ghost', which is not defined", error.Message, StringComparison.Ordinal);
        Assert.Contains("agent 'boss' calls specialist 'plain', which has no Contract", error.Message, StringComparison.Ordinal);
        Assert.Contains("agent 'boss' calls specialist 'calculator', and a tool has that name too", error.Message, StringComparison.Ordinal);
        Assert.Contains("agent 'boss' lists a specialist twice", error.Message, StringComparison.Ordinal);
        Assert.Contains("agent 'boss' hands off to 'nobody', which is not defined", error.Message, StringComparison.Ordinal);
        Assert.Contains("agent 'boss' hands off to itself", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hands off to 'plain'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("specialist 'worker'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_UnknownName_ThrowsListingTheKnownAgents()
    {
        var catalog = new AgentCatalog([BuiltInAgents.Assistant, new AgentDefinition("echo", "Repeat.", [])], Tools);

        var error = Assert.Throws<UnknownAgentException>(() => catalog.Get("wizard"));

        Assert.Equal("Unknown agent 'wizard'; known agents: assistant, echo.", error.Message);
        Assert.Same(BuiltInAgents.Assistant, catalog.Get("assistant"));
    }

    [Fact]
    public async Task AddAgentSessions_InvalidAgentDefinition_HostStartFails()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        // Every host has a configuration; the catalog reads the Model section from it.
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddOrleans(static silo => silo.AddAgentSessions());
        services.AddSingleton(new AgentDefinition("broken", "x", ["teleport"]));
        await using var provider = services.BuildServiceProvider();
        var descriptor = Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(AgentCatalogStartupCheck));
        var check = (IHostedService)ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => check.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("'teleport'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ModelTimeoutsWithoutRoomForARetry_ReportsEachAgentNamingBothSettings()
    {
        var model = new ModelOptions { Provider = ModelProvider.OpenAI, Name = "gpt-4o-mini", ApiKey = "sk" };
        using var own = new ScriptedChatClient();
        AgentDefinition[] definitions =
        [
            BuiltInAgents.Assistant,
            new("single", "x", []) { ModelTimeout = TimeSpan.FromSeconds(60) },
            new("tight", "x", []) { ModelTimeout = TimeSpan.FromSeconds(90) },
            new("own-model", "x", []) { ModelTimeout = TimeSpan.FromSeconds(1), ChatClient = own },
        ];

        var error = Assert.Throws<InvalidOperationException>(() => new AgentCatalog(definitions, Tools, model));

        Assert.Equal(
            "Invalid agent definitions: "
            + "agent 'single' has a ModelTimeout of 00:01:00, no longer than one attempt (Model:RequestTimeout 00:01:00), so a model request that hangs fails the run instead of being retried; "
            + "set the agent's ModelTimeout to 00:02:20 or more, or lower Model:RequestTimeout to at most 00:00:20; "
            + "agent 'tight' has a ModelTimeout of 00:01:30, too short to retry a model request that hangs: one attempt (Model:RequestTimeout 00:01:00), the longest wait before a retry (Model:MaxRetryDelay 00:00:20) and a second attempt take 00:02:20; "
            + "set the agent's ModelTimeout to 00:02:20 or more, or lower Model:RequestTimeout to at most 00:00:35.",
            error.Message);
    }

    [Fact]
    public void Constructor_ShortModelTimeoutWithTheScriptedModel_Accepted()
    {
        var catalog = new AgentCatalog([new AgentDefinition("quick", "x", []) { ModelTimeout = TimeSpan.FromSeconds(1) }], Tools, new ModelOptions());

        Assert.Equal(["quick"], catalog.Names);
    }

    [Fact]
    public void AddAgentSessions_CalledTwice_RegistersOnce()
    {
        var services = new ServiceCollection();
        ISiloBuilder silo = null!;
        services.AddOrleans(builder => silo = builder);

        silo.AddAgentSessions();
        var count = services.Count;
        silo.AddAgentSessions();

        Assert.Equal(count, services.Count);
    }
}
