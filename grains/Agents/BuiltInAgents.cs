using AgentGrains.Grains.Memory;
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
        + "a person approves each message before it goes out. "
        + "When the user tells you something about themselves worth keeping (their name, their preferences), store it with remember; "
        + "what you remembered in earlier conversations is given to you, and recall searches it. Answer briefly.",
        [CalculatorTool.Name, ClockTool.Name, SendMessageTool.Name, MemoryTools.RememberName, MemoryTools.RecallName])
    {
        // What a user tells it in one session, it knows in the user's other sessions.
        Memory = true,
        // A summary every 20 messages out of the 20-message window: about one model call per ten turns.
        SummarizeAfter = 20,
    };
}
