using AgentGrains.Grains.Tools;

namespace AgentGrains.Grains.Agents;

/// <summary>The agents every silo with agent sessions knows.</summary>
public static class BuiltInAgents
{
    /// <summary>The name of <see cref="Assistant"/>.</summary>
    public const string AssistantName = "assistant";

    /// <summary>A general assistant that computes with <c>calculator</c>, tells the time with <c>clock</c> and sends messages with <c>send_message</c> (each approved by a person first).</summary>
    public static AgentDefinition Assistant { get; } = new(
        AssistantName,
        "You are a helpful assistant. Use the calculator tool for any arithmetic and the clock tool for the current date or time; "
        + "never compute or guess those yourself. When asked to send a message to someone, call send_message with the recipient and the text; "
        + "a person approves each message before it goes out. Answer briefly.",
        [CalculatorTool.Name, ClockTool.Name, SendMessageTool.Name])
    {
        // A summary every 20 messages out of the 20-message window: about one model call per ten turns.
        SummarizeAfter = 20,
    };
}
