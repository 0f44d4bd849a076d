using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.AI;
using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Grains.Agents;

/// <summary>The agent definitions this silo can run, by name.</summary>
/// <remarks>
/// Built from every <see cref="AgentDefinition"/> in the container, so a host adds an agent with
/// <c>services.AddSingleton(new AgentDefinition(...))</c>. Definitions are checked when the catalog
/// is built (on the first session activation) and every problem is reported at once.
/// </remarks>
public sealed class AgentCatalog
{
    private readonly Dictionary<string, AgentDefinition> agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (AITool[] Tools, string[] Names)> offered = new(StringComparer.Ordinal);
    // The same, without the memory tools: what a session without a user is offered.
    private readonly Dictionary<string, AITool[]> offeredWithoutMemory = new(StringComparer.Ordinal);

    /// <summary>Builds the catalog and checks every definition against the registered tools and the model settings.</summary>
    /// <param name="definitions">The agents.</param>
    /// <param name="tools">The registered tools.</param>
    /// <param name="model">
    /// The silo's model settings; with <c>Model:Provider=OpenAI</c> each agent answered by that model
    /// must have a <see cref="AgentDefinition.ModelTimeout"/> that holds a retry after a hung attempt
    /// (<see cref="ModelOptions.RequestTimeout"/>). Null checks no model settings.
    /// </param>
    /// <exception cref="InvalidOperationException">A definition is invalid; the message lists every problem.</exception>
    public AgentCatalog(IEnumerable<AgentDefinition> definitions, ToolRegistry tools, ModelOptions? model = null)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        ArgumentNullException.ThrowIfNull(tools);
        var problems = new List<string>();
        foreach (var definition in definitions)
        {
            Validate(definition, tools, model, problems);
            if (!string.IsNullOrWhiteSpace(definition.Name) && !agents.TryAdd(definition.Name, definition))
            {
                problems.Add($"two agents are named '{definition.Name}'; register each agent once");
            }
        }

        foreach (var definition in agents.Values)
        {
            ValidateSpecialists(definition, tools, problems);
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid agent definitions: " + string.Join("; ", problems) + ".");
        }

        Names = [.. agents.Keys.Order(StringComparer.Ordinal)];
        foreach (var definition in agents.Values)
        {
            // Once per agent, not on every model call: its tools, then its specialists, then its handoffs.
            var list = new List<AITool>(tools.GetTools(definition.Tools));
            list.AddRange(definition.Specialists.Select(name => agents[name].Contract!.ToolFor(name)));
            list.AddRange(definition.Handoffs.Select(name => Handoffs.ToolFor(name, agents[name].Contract?.Description ?? agents[name].Instructions)));
            offered[definition.Name] = ([.. list], [.. list.Select(static t => t.Name)]);
            offeredWithoutMemory[definition.Name] = [.. list.Where(static t => t.Name is not (MemoryTools.RememberName or MemoryTools.RecallName))];
        }
    }

    /// <summary>What a model of <paramref name="agent"/> is offered (<see cref="ChatOptions.Tools"/>): its tools, its specialists, its handoffs; null for none.</summary>
    /// <remarks>Built once with the catalog and shared by every request, so it must not be changed.</remarks>
    /// <param name="agent">The agent.</param>
    /// <param name="memory">Whether the session has a user: the <c>remember</c> and <c>recall</c> tools are offered only then (without one they could only fail).</param>
    public IList<AITool>? OfferedTools(AgentDefinition agent, bool memory = true)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var list = memory ? offered[agent.Name].Tools : offeredWithoutMemory[agent.Name];
        return list is { Length: > 0 } ? list : null;
    }

    /// <summary>The names of <see cref="OfferedTools"/>: what a model of <paramref name="agent"/> may call.</summary>
    public IReadOnlyList<string> OfferedNames(AgentDefinition agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return offered[agent.Name].Names;
    }

    /// <summary>The names of all agents, sorted.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Finds an agent by name (case-sensitive).</summary>
    public bool TryGet(string name, out AgentDefinition definition) => agents.TryGetValue(name, out definition!);

    /// <summary>The agent named <paramref name="name"/>.</summary>
    /// <exception cref="UnknownAgentException">No agent has that name; the message lists the known ones.</exception>
    public AgentDefinition Get(string name) =>
        TryGet(name, out var definition)
            ? definition
            : throw new UnknownAgentException($"Unknown agent '{name}'; known agents: {string.Join(", ", Names)}.");

    private void ValidateSpecialists(AgentDefinition definition, ToolRegistry tools, List<string> problems)
    {
        foreach (var name in definition.Specialists)
        {
            if (!agents.TryGetValue(name, out var specialist))
            {
                problems.Add($"agent '{definition.Name}' calls specialist '{name}', which is not defined (known agents: {string.Join(", ", agents.Keys.Order(StringComparer.Ordinal))}); define it or remove it");
            }
            else if (specialist.Contract is null)
            {
                problems.Add($"agent '{definition.Name}' calls specialist '{name}', which has no Contract; give '{name}' a SpecialistContract (its request and response types)");
            }
            else if (!name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') || name.Length > 64)
            {
                problems.Add($"agent '{definition.Name}' calls specialist '{name}', whose name cannot be a tool name; name specialists with 1 to 64 ASCII letters, digits, '_' or '-'");
            }

            if (definition.Tools.Contains(name, StringComparer.Ordinal) || tools.Contains(name))
            {
                problems.Add($"agent '{definition.Name}' calls specialist '{name}', and a tool has that name too; rename one of them");
            }
        }

        foreach (var target in definition.Handoffs)
        {
            if (!agents.ContainsKey(target))
            {
                problems.Add($"agent '{definition.Name}' hands off to '{target}', which is not defined; define it or remove it");
            }
            else if (string.Equals(target, definition.Name, StringComparison.Ordinal))
            {
                problems.Add($"agent '{definition.Name}' hands off to itself; remove it from its Handoffs");
            }
            else if (Handoffs.ToolName(target) is var tool && (tool.Length > 64 || !tool.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
            {
                problems.Add($"agent '{definition.Name}' hands off to '{target}', whose tool name '{tool}' is not valid; use at most {64 - Handoffs.Prefix.Length} ASCII letters, digits, '_' or '-'");
            }
        }

        if (definition.Specialists.Distinct(StringComparer.Ordinal).Count() != definition.Specialists.Count)
        {
            problems.Add($"agent '{definition.Name}' lists a specialist twice; list each once");
        }
    }

    private static void Validate(AgentDefinition definition, ToolRegistry tools, ModelOptions? model, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(definition.Name))
        {
            problems.Add("an agent has an empty name; give every AgentDefinition a name");
            return;
        }

        if (definition.HistoryWindow < 1)
        {
            problems.Add($"agent '{definition.Name}' has HistoryWindow {definition.HistoryWindow}; set it to 1 or more");
        }

        if (definition.SummarizeAfter < 0)
        {
            problems.Add($"agent '{definition.Name}' has SummarizeAfter {definition.SummarizeAfter}; set it to 1 or more, or 0 for no summary");
        }

        if (definition.SummaryMaxLength < 100)
        {
            problems.Add($"agent '{definition.Name}' has SummaryMaxLength {definition.SummaryMaxLength}; set it to 100 or more characters");
        }

        if (definition.MaxSteps < 1)
        {
            problems.Add($"agent '{definition.Name}' has MaxSteps {definition.MaxSteps}; set it to 1 or more");
        }

        if (definition.ModelTimeout <= TimeSpan.Zero)
        {
            problems.Add($"agent '{definition.Name}' has a ModelTimeout of {definition.ModelTimeout}; set a positive duration");
        }
        else if (model is { Provider: ModelProvider.OpenAI } && definition.ChatClient is null
            && ModelOptionsValidator.CheckModelTimeout(model, definition.Name, definition.ModelTimeout) is { } tooShort)
        {
            // Only the configured model has per-attempt timeouts; an agent's own client has its own.
            problems.Add(tooShort);
        }

        if (definition.MaxTokens is < 1)
        {
            problems.Add($"agent '{definition.Name}' has MaxTokens {definition.MaxTokens}; set it to 1 or more, or null for no limit");
        }

        if (definition.MaxCost is <= 0)
        {
            problems.Add($"agent '{definition.Name}' has MaxCost {definition.MaxCost}; set a positive amount, or null for no limit");
        }

        foreach (var (value, name) in new[]
        {
            (definition.MaxWallTime, nameof(definition.MaxWallTime)),
            (definition.StallTimeout, nameof(definition.StallTimeout)),
            (definition.WatchdogPeriod, nameof(definition.WatchdogPeriod)),
            (definition.ApprovalTimeout, nameof(definition.ApprovalTimeout)),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"agent '{definition.Name}' has a {name} of {value}; set a positive duration");
            }
        }

        if (definition.MaxQueuedMessages < 0)
        {
            problems.Add($"agent '{definition.Name}' has MaxQueuedMessages {definition.MaxQueuedMessages}; set it to 0 or more");
        }

        foreach (var tool in definition.Tools.Where(t => !tools.Contains(t)))
        {
            problems.Add($"agent '{definition.Name}' uses tool '{tool}', which is not registered (known tools: {string.Join(", ", tools.Names)}); register it as an AgentTool or remove it");
        }
    }
}
