namespace AgentGrains.Tests.Infrastructure;

/// <summary>The token counts a scripted reply reports (<c>usage</c>); the total is their sum.</summary>
public sealed record FakeUsage(int PromptTokens, int CompletionTokens);
