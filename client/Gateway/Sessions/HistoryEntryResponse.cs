using System.Text.Json.Serialization;
using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>One message of a session's history.</summary>
/// <param name="Role"><c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The text (for a tool message, the tool's result or error).</param>
/// <param name="At">When it was recorded.</param>
/// <param name="ToolCalls">For an assistant message that called tools: the calls; absent otherwise.</param>
/// <param name="ToolCallId">For a tool message: the call it answers; absent otherwise.</param>
/// <param name="ToolName">For a tool message: the tool that ran; absent otherwise.</param>
public sealed record HistoryEntryResponse(
    string Role,
    string Content,
    DateTimeOffset At,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ToolCallResponse>? ToolCalls = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ToolCallId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ToolName = null)
{
    internal static HistoryEntryResponse From(HistoryEntry entry) => new(
        entry.Role,
        entry.Content,
        entry.At,
        entry.ToolCalls is { Count: > 0 } calls ? [.. calls.Select(c => new ToolCallResponse(c.Id, c.Name, c.Arguments))] : null,
        entry.ToolCallId,
        entry.ToolName);
}
