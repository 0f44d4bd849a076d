using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains;

/// <summary>A model whose replies a test scripts call by call (numbered from 0); it records every request it gets.</summary>
internal sealed class FakeChatClient(Func<int, IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatMessage>> reply) : IChatClient
{
    private readonly Lock gate = new();
    private readonly List<IReadOnlyList<ChatMessage>> requests = [];

    public FakeChatClient(Func<int, IReadOnlyList<ChatMessage>, ChatMessage> reply)
        : this((index, messages, _) => Task.FromResult(reply(index, messages)))
    {
    }

    /// <summary>The messages of each call so far, in order.</summary>
    public IReadOnlyList<IReadOnlyList<ChatMessage>> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    public static ChatMessage ToolCall(string callId, string name, string argumentsJson) =>
        new(ChatRole.Assistant, [FunctionCallContent.CreateFromParsedArguments(
            argumentsJson, callId, name, static json => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(json))]);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ChatMessage> request = [.. messages];
        int index;
        lock (gate)
        {
            index = requests.Count;
            requests.Add(request);
        }

        return new ChatResponse(await reply(index, request, cancellationToken));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The session grain does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
