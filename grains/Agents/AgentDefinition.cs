namespace AgentGrains.Grains.Agents;

/// <summary>What an agent is: its instructions, its tools and its budgets.</summary>
/// <param name="name">The name sessions are created with (e.g. <c>assistant</c>).</param>
/// <param name="instructions">The system prompt sent first with every model call.</param>
/// <param name="tools">The names of the tools its model may call.</param>
/// <remarks>
/// The budgets bound the cost of one user message whatever the session's length: a model call
/// sees at most <see cref="HistoryWindow"/> earlier messages (plus the current turn's), and one
/// message makes at most <see cref="MaxSteps"/> model calls.
/// </remarks>
public sealed class AgentDefinition(string name, string instructions, IReadOnlyList<string> tools)
{
    /// <summary>The agent's name.</summary>
    public string Name { get; } = name;

    /// <summary>The system prompt.</summary>
    public string Instructions { get; } = instructions;

    /// <summary>The tools its model may call.</summary>
    public IReadOnlyList<string> Tools { get; } = tools;

    /// <summary>How many of the most recent messages a model call sees besides the current turn's; default 20.</summary>
    public int HistoryWindow { get; init; } = 20;

    /// <summary>How many model calls one user message may take before the run stops; default 8.</summary>
    public int MaxSteps { get; init; } = 8;

    /// <summary>How long one model call may take; default 60 seconds.</summary>
    public TimeSpan ModelTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
