using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains;

/// <summary>A model whose replies a test scripts step by step; it records every request it gets.</summary>
internal sealed class FakeChatClient(Func<int, IReadOnlyList<ChatMessage>, ChatMessage> reply) : IChatClient
{
    private readonly Lock gate = new();
    private readonly List<IReadOnlyList<ChatMessage>> requests = [];

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

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ChatMessage> request = [.. messages];
        int index;
        lock (gate)
        {
            index = requests.Count;
            requests.Add(request);
        }

        return Task.FromResult(new ChatResponse(reply(index, request)));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The session grain does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
