using AgentGrains.Grains.Tools;

namespace AgentGrains.Grains.Agents;

/// <summary>The agents every silo with agent sessions knows.</summary>
public static class BuiltInAgents
{
    /// <summary>The name of <see cref="Assistant"/>.</summary>
    public const string AssistantName = "assistant";

    /// <summary>A general assistant that computes with <c>calculator</c> and tells the time with <c>clock</c>.</summary>
    public static AgentDefinition Assistant { get; } = new(
        AssistantName,
        "You are a helpful assistant. Use the calculator tool for any arithmetic and the clock tool for the current date or time; "
        + "never compute or guess those yourself. Answer briefly.",
        [CalculatorTool.Name, ClockTool.Name]);
}
