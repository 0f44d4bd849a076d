using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>One message of a conversation, as stored (one row each, append-only).</summary>
/// <param name="Role"><c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The text (for a tool message, the tool's result or error).</param>
/// <param name="At">When it was recorded.</param>
/// <param name="ToolCalls">For an assistant message that called tools: the calls it made.</param>
/// <param name="ToolCallId">For a tool message: the call it answers.</param>
/// <param name="ToolName">For a tool message: the tool that ran.</param>
[GenerateSerializer]
[Alias("agentgrains.HistoryEntry")]
public sealed record HistoryEntry(
    string Role,
    string Content,
    DateTimeOffset At,
    IReadOnlyList<ToolCallEntry>? ToolCalls = null,
    string? ToolCallId = null,
    string? ToolName = null);
