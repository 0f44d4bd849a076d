namespace AgentGrains.Tests.Infrastructure;

/// <summary>One <c>POST /v1/chat/completions</c> the fake server received, parsed.</summary>
/// <param name="Number">1 for the first request the server received, 2 for the next…</param>
/// <param name="Model">The <c>model</c> field.</param>
/// <param name="Messages">The <c>messages</c>, in order.</param>
/// <param name="Tools">The function tools offered (empty when none).</param>
/// <param name="Temperature">The <c>temperature</c>, when sent.</param>
/// <param name="MaxTokens">The <c>max_completion_tokens</c> (or legacy <c>max_tokens</c>), when sent.</param>
/// <param name="Authorization">The <c>Authorization</c> header, when sent.</param>
/// <param name="RawBody">The body exactly as received.</param>
/// <param name="ReceivedAt">When the server received it (system clock).</param>
public sealed record FakeChatRequest(
    int Number,
    string Model,
    IReadOnlyList<FakeChatMessage> Messages,
    IReadOnlyList<FakeTool> Tools,
    double? Temperature,
    int? MaxTokens,
    string? Authorization,
    string RawBody,
    DateTimeOffset ReceivedAt)
{
    /// <summary>The last message's text, where a default responder usually looks.</summary>
    public string? LastContent => Messages.Count == 0 ? null : Messages[^1].Content;
}
