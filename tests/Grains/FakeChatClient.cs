using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains;

/// <summary>A model whose replies a test scripts call by call (numbered from 0); it records every request it gets.</summary>
internal sealed class FakeChatClient : IChatClient
{
    private readonly Lock gate = new();
    private readonly List<IReadOnlyList<ChatMessage>> requests = [];
    private readonly List<ChatOptions?> options = [];
    private readonly Responder respond;

    public FakeChatClient(Func<int, IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatMessage>> reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        respond = async (index, messages, cancellationToken) => new ChatResponse(await reply(index, messages, cancellationToken));
    }

    public FakeChatClient(Func<int, IReadOnlyList<ChatMessage>, ChatMessage> reply)
        : this((index, messages, _) => Task.FromResult(reply(index, messages)))
    {
    }

    private FakeChatClient(Responder respond) => this.respond = respond;

    private delegate Task<ChatResponse> Responder(int index, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

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

    /// <summary>The options of each call so far, in order.</summary>
    public IReadOnlyList<ChatOptions?> Options
    {
        get
        {
            lock (gate)
            {
                return [.. options];
            }
        }
    }

    /// <summary>A model that scripts whole responses (with usage, model id...).</summary>
    public static FakeChatClient WithResponses(Func<int, IReadOnlyList<ChatMessage>, ChatResponse> respond) =>
        new(new Responder((index, messages, _) => Task.FromResult(respond(index, messages))));

    /// <summary>A response with the token counts a real provider reports.</summary>
    public static ChatResponse WithUsage(ChatMessage message, long inputTokens, long outputTokens) =>
        new(message) { Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens } };

    public static ChatMessage ToolCall(string callId, string name, string argumentsJson) =>
        new(ChatRole.Assistant, [FunctionCallContent.CreateFromParsedArguments(
            argumentsJson, callId, name, static json => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(json))]);

    /// <summary>The text of the last user message of a request.</summary>
    public static string LastUserText(IReadOnlyList<ChatMessage> messages) => messages.Last(static m => m.Role == ChatRole.User).Text;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ChatMessage> request = [.. messages];
        int index;
        lock (gate)
        {
            index = requests.Count;
            requests.Add(request);
            this.options.Add(options);
        }

        return await respond(index, request, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The session grain does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
