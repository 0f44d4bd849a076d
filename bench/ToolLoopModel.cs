using Microsoft.Extensions.AI;

namespace AgentGrains.Bench;

/// <summary>A scripted model that answers at once: it calls <c>tool</c> until the current run holds <c>calls</c> results, then answers.</summary>
/// <remarks>
/// No network and no waiting, so what a step costs is what the runtime adds around a model call.
/// The bench sends each session's key as the user message, so a <see cref="StepTimeline"/> can tell
/// which session a call belongs to.
/// </remarks>
internal sealed class ToolLoopModel(string tool, int calls, IReadOnlyDictionary<string, object?> arguments, StepTimeline? timeline) : IChatClient
{
    private static readonly UsageDetails Usage = new() { InputTokenCount = 10, OutputTokenCount = 2 };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var results = 0;
        var i = list.Count - 1;
        for (; i >= 0 && list[i].Role != ChatRole.User; i--)
        {
            results += list[i].Contents.Count(static c => c is FunctionResultContent);
        }

        timeline?.Mark(StepTimeline.Kind.Model, i >= 0 ? list[i].Text : string.Empty);
        var reply = results < calls
            ? new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call-{results}", tool, new Dictionary<string, object?>(arguments))])
            : new ChatMessage(ChatRole.Assistant, "done");
        return Task.FromResult(new ChatResponse(reply) { Usage = Usage });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
