using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Sessions;
using AgentGrains.Grains.Showcase;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.GrainInterfaces.Tenants;
using AgentGrains.Storage.Journal;
using AgentGrains.Storage.Memory;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Grains;

/// <summary>Adds agent sessions to a silo.</summary>
public static class AgentSessionsSiloBuilderExtensions
{
    /// <summary>
    /// Adds agent sessions to an Orleans silo: the <see cref="AgentSessionGrain"/> over the session
    /// journal (<see cref="SessionJournalServiceCollectionExtensions.AddSessionJournal"/>, from the
    /// <c>Storage</c> configuration section); the built-in <c>assistant</c> agent and the showcase
    /// agents (<see cref="ShowcaseAgents"/>); the built-in <c>calculator</c>, <c>clock</c>,
    /// <c>corpus_search</c> and <c>send_message</c> tools (the last delivers to the cluster's outbox grain); and the model chosen by the <c>Model</c> configuration section
    /// (<see cref="ModelServiceCollectionExtensions.AddAgentModel"/>) unless an <see cref="IChatClient"/>
    /// is registered already.
    /// </summary>
    /// <remarks>
    /// The silo also needs a reminder service (run watchdogs and approval timeouts are reminders):
    /// <c>UseAgentGrainsStorage</c> adds it where the data lives. The host fails to start if an agent
    /// definition is invalid. Calling this twice registers once. Add agents with
    /// <c>services.AddSingleton(new AgentDefinition(...))</c> or in the <c>Agents</c> configuration
    /// section (<see cref="ConfiguredAgents"/>), and tools with <c>services.AddSingleton(AgentTool.Create(...))</c>.
    /// </remarks>
    public static ISiloBuilder AddAgentSessions(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (AddServices(builder.Services))
        {
            builder.Services.AddSessionJournal();
            builder.Services.AddMemoryStore();
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
        services.AddSingleton(static sp => SendMessageTool.Create(sp.GetRequiredService<IGrainFactory>, sp.GetRequiredService<TimeProvider>()));
        // Long-term memory: hybrid recall with the application's embedding generator, or Model:EmbeddingModel's.
        services.TryAddSingleton(static sp => new AgentMemory(
            sp.GetRequiredService<IMemoryStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AgentMemory>>(),
            sp.GetService<IEmbeddingGenerator<string, Embedding<float>>>()
                ?? OpenAIChatClient.CreateEmbeddingGenerator(sp.GetRequiredService<IOptions<ModelOptions>>().Value)));
        MemoryTools.AddTo(services);
        services.AddSingleton(BuiltInAgents.Assistant);
        foreach (var agent in ShowcaseAgents.All)
        {
            services.AddSingleton(agent);
        }

        services.AddToolRegistry();
        // What each tenant's sessions may use (Tenants:<tenant>:DeniedTools).
        // Bound once: the silo and its embedded gateway both ask for it, and a second binding would append every list twice.
        if (!services.Any(static d => d.ServiceType == typeof(IConfigureOptions<TenantsOptions>)))
        {
            services.AddOptions<TenantsOptions>().BindConfiguration(TenantsOptions.SectionName);
        }
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
