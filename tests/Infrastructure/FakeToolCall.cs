namespace AgentGrains.Tests.Infrastructure;

/// <summary>A function call as it travels in the OpenAI wire format: in a scripted reply, or in an assistant message a client sent back.</summary>
/// <param name="Name">The function name.</param>
/// <param name="Arguments">The raw arguments string, exactly as sent; it may be invalid JSON on purpose.</param>
/// <param name="Id">The call id; in a scripted reply, null gets <c>call_{request}_{index}</c>.</param>
public sealed record FakeToolCall(string Name, string Arguments, string? Id = null);
