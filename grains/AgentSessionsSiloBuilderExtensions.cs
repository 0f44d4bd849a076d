using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Sessions;
using AgentGrains.Grains.Showcase;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Storage.Journal;
using AgentGrains.Runtime.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AgentGrains.Grains;

/// <summary>Adds agent sessions to a silo.</summary>
public static class AgentSessionsSiloBuilderExtensions
{
    /// <summary>
    /// Registers the agent session grain, the built-in <c>assistant</c> agent, the showcase agents
    /// (<see cref="ShowcaseAgents"/>: <c>research</c> with <c>searcher</c> and <c>analyst</c>,
    /// <c>twenty-questions</c> with <c>answerer</c>), the built-in <c>calculator</c>, <c>clock</c> and
    /// <c>corpus_search</c> tools, and the model chosen by the <c>Model</c> configuration
    /// section (<see cref="ModelServiceCollectionExtensions.AddAgentModel"/>) unless an <see cref="IChatClient"/>
    /// is registered already: <see cref="OpenAIChatClient"/> for <c>Model:Provider=OpenAI</c>, else the
    /// deterministic <see cref="ScriptedChatClient"/>.
    /// </summary>
    /// <remarks>
    /// The host fails to start if an agent definition is invalid. Calling this twice registers once.
    /// Add agents with <c>services.AddSingleton(new AgentDefinition(...))</c> or in the <c>Agents</c>
    /// configuration section (<see cref="ConfiguredAgents"/>), and tools with
    /// <c>services.AddSingleton(AgentTool.Create(...))</c>. A model registered after this call
    /// replaces the configured one too (the container returns the last registration). An
    /// <c>OPENAI_API_KEY</c> alone keeps the scripted model (a start-up warning says the key is ignored);
    /// set <c>Model:Provider=OpenAI</c> and <c>Model:Name</c> to use it.
    /// </remarks>
    public static ISiloBuilder AddAgentSessions(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return AddServices(builder.Services) ? builder.AddGrain<IAgentSessionGrain, RuntimeSessionGrain>() : builder;
    }

    /// <summary>
    /// Adds agent sessions to an Orleans silo: the <see cref="AgentSessionGrain"/> over the session
    /// journal (<see cref="SessionJournalServiceCollectionExtensions.AddSessionJournal"/>, from the
    /// <c>Storage</c> configuration section), and the same agents, tools and model as
    /// <see cref="AddAgentSessions(ISiloBuilder)"/>.
    /// </summary>
    /// <remarks>The silo also needs a reminder service (run watchdogs and approval timeouts are reminders).</remarks>
    public static Orleans.Hosting.ISiloBuilder AddAgentSessions(this Orleans.Hosting.ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (AddServices(builder.Services))
        {
            builder.Services.AddSessionJournal();
            builder.Services.AddSessionExceptions();
            builder.Services.AddSingleton<SiloDraining>();
            builder.Services.AddSingleton<Orleans.ILifecycleParticipant<Orleans.Runtime.ISiloLifecycle>>(static sp => sp.GetRequiredService<SiloDraining>());
        }

        return builder;
    }

    /// <summary>Registers the agents, tools and model; false when they were registered already.</summary>
    private static bool AddServices(IServiceCollection services)
    {
        if (services.Any(static d => d.ImplementationType == typeof(AgentCatalogStartupCheck)))
        {
            // Called twice: a second set of built-in tools and agents would collide by name.
            return false;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(static _ => CalculatorTool.Create());
        services.AddSingleton(static sp => ClockTool.Create(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(static _ => CorpusSearchTool.Create());
        services.AddSingleton(BuiltInAgents.Assistant);
        foreach (var agent in ShowcaseAgents.All)
        {
            services.AddSingleton(agent);
        }

        services.AddToolRegistry();
        // Agents registered in code, plus those defined under the Agents configuration section.
        services.TryAddSingleton(static sp => new AgentCatalog(
            sp.GetServices<AgentDefinition>().Concat(ConfiguredAgents.Read(sp.GetService<IConfiguration>())),
            sp.GetRequiredService<ToolRegistry>(),
            sp.GetRequiredService<IOptions<ModelOptions>>().Value));
        services.AddAgentModel();
        services.AddOptions<DelegationOptions>().BindConfiguration(DelegationOptions.SectionName)
            .Validate(static o => o.MaxDepth >= 1, "Delegation:MaxDepth must be 1 or more (levels of specialists under a run a person started).")
            .Validate(static o => o.PollWait > TimeSpan.Zero, "Delegation:PollWait must be a positive duration, e.g. 00:00:10.")
            .ValidateOnStart();
        services.AddHostedService<AgentCatalogStartupCheck>();
        return true;
    }
}
