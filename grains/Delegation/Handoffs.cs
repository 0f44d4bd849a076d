using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Delegation;

/// <summary>The tools that hand a conversation to another agent: <c>transfer_to_{agent}</c>, as OpenAI-compatible agent SDKs name them.</summary>
public static class Handoffs
{
    /// <summary>The prefix of every handoff tool's name.</summary>
    public const string Prefix = "transfer_to_";

    /// <summary>The JSON schema of a handoff's arguments: an optional reason.</summary>
    public static readonly JsonElement Schema = JsonDocument.Parse(
        """{"type":"object","properties":{"reason":{"type":"string","description":"Why the conversation moves, for the agent that takes it."}}}""").RootElement.Clone();

    /// <summary>The name of the tool that hands the conversation to <paramref name="agent"/>.</summary>
    public static string ToolName(string agent) => Prefix + agent;

    /// <summary>The agent a handoff tool's name names; false for any other name.</summary>
    public static bool TryGetTarget(string toolName, [NotNullWhen(true)] out string? agent)
    {
        ArgumentNullException.ThrowIfNull(toolName);
        agent = toolName.StartsWith(Prefix, StringComparison.Ordinal) && toolName.Length > Prefix.Length ? toolName[Prefix.Length..] : null;
        return agent is not null;
    }

    /// <summary>The tool a model is offered to hand the conversation to <paramref name="agent"/>.</summary>
    public static AIFunctionDeclaration ToolFor(string agent, string description) =>
        AIFunctionFactory.CreateDeclaration(
            ToolName(agent),
            $"Hands the conversation to the '{agent}' agent, which answers from here on: {description}",
            Schema);
}
