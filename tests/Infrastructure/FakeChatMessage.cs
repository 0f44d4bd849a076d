namespace AgentGrains.Tests.Infrastructure;

/// <summary>One message of a recorded request, as the client put it on the wire.</summary>
/// <param name="Role"><c>system</c>, <c>developer</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The text (text parts joined), or null when the message had none.</param>
/// <param name="ToolCallId">For a <c>tool</c> message, the call it answers.</param>
/// <param name="ToolCalls">For an <c>assistant</c> message, the calls it made (empty otherwise).</param>
public sealed record FakeChatMessage(string Role, string? Content, string? ToolCallId, IReadOnlyList<FakeToolCall> ToolCalls);
