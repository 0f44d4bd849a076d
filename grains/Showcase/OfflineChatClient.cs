using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Showcase;

/// <summary>The plumbing every showcase offline model shares: a deterministic decision from the messages, usage as word counts.</summary>
/// <remarks>
/// Like <see cref="Models.ScriptedChatClient"/>, a subclass decides from the messages it is given
/// and nothing else (no clock, no randomness, no state between calls), so a conversation always
/// gets the same replies and a run resumed from its journal asks the same questions again.
/// </remarks>
internal abstract class OfflineChatClient : IChatClient
{
    /// <summary>The serializer options of the tool schemas, so requests and replies read and write like the runtime's.</summary>
    protected static JsonSerializerOptions Json => AIJsonUtilities.DefaultOptions;

    private ChatClientMetadata Metadata => new($"agentgrains-{ModelId}", defaultModelId: ModelId);

    /// <summary>The model id reported in responses.</summary>
    protected abstract string ModelId { get; }

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var conversation = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var reply = Decide(conversation);
        var calls = reply.Contents.OfType<FunctionCallContent>().Any();
        long input = conversation.Sum(CountWords);
        long output = CountWords(reply);
        return Task.FromResult(new ChatResponse(reply)
        {
            ModelId = ModelId,
            FinishReason = calls ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output },
        });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var contents = new List<AIContent>(response.Messages[0].Contents);
        if (response.Usage is { } usage)
        {
            contents.Add(new UsageContent(usage));
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, contents) { ModelId = response.ModelId, FinishReason = response.FinishReason };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? Metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing to release: the model holds no connections.
    }

    /// <summary>The next assistant message for <paramref name="messages"/> (system prompt first, the newest last).</summary>
    protected abstract ChatMessage Decide(IReadOnlyList<ChatMessage> messages);

    /// <summary>The messages of the current run: those after the last user message (the run's input, which is <c>messages[index - 1]</c>).</summary>
    /// <remarks>Within a run the only user message is its input; tool results are tool messages.</remarks>
    protected static int CurrentRunStart(IReadOnlyList<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User)
            {
                return i + 1;
            }
        }

        return messages.Count;
    }

    /// <summary>The text of the current run's user message; empty when there is none.</summary>
    protected static string Input(IReadOnlyList<ChatMessage> messages)
    {
        var start = CurrentRunStart(messages);
        return start > 0 && messages[start - 1].Role == ChatRole.User ? messages[start - 1].Text.Trim() : string.Empty;
    }

    /// <summary>The calls the model made in the current run with their results (null while a call has none), in order.</summary>
    protected static List<CallAndResult> CallsOfCurrentRun(IReadOnlyList<ChatMessage> messages)
    {
        var calls = new List<CallAndResult>();
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = CurrentRunStart(messages); i < messages.Count; i++)
        {
            foreach (var content in messages[i].Contents)
            {
                if (content is FunctionCallContent call)
                {
                    calls.Add(new CallAndResult(call, null));
                }
                else if (content is FunctionResultContent result)
                {
                    results[result.CallId] = Convert.ToString(result.Result, CultureInfo.InvariantCulture) ?? string.Empty;
                }
            }
        }

        return [.. calls.Select(c => c with { Result = results.GetValueOrDefault(c.Call.CallId) })];
    }

    /// <summary>A string argument of a call, whether the call came from this process (a string) or from the history (a JSON element).</summary>
    protected static string? StringArgument(FunctionCallContent call, string name) =>
        call.Arguments?.TryGetValue(name, out var value) != true ? null
            : value is JsonElement { ValueKind: JsonValueKind.String } element ? element.GetString()
            : value is JsonElement other ? other.GetRawText()
            : Convert.ToString(value, CultureInfo.InvariantCulture);

    /// <summary>A reply in text.</summary>
    protected static ChatMessage Say(string text) => new(ChatRole.Assistant, text);

    /// <summary>A reply calling <paramref name="calls"/> in parallel, with ids numbered after the calls already in view (stable for a conversation).</summary>
    protected static ChatMessage Call(IReadOnlyList<ChatMessage> messages, params IEnumerable<(string Tool, Dictionary<string, object?> Arguments)> calls)
    {
        var number = messages.Sum(static m => m.Contents.OfType<FunctionCallContent>().Count());
        var contents = new List<AIContent>();
        foreach (var (tool, arguments) in calls)
        {
            contents.Add(new FunctionCallContent($"call_{(++number).ToString(CultureInfo.InvariantCulture)}", tool, arguments));
        }

        return new ChatMessage(ChatRole.Assistant, contents);
    }

    private static int CountWords(ChatMessage message)
    {
        var text = new StringBuilder();
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent t:
                    text.Append(t.Text).Append(' ');
                    break;
                case FunctionCallContent call:
                    text.Append(call.Name).Append(' ');
                    foreach (var argument in call.Arguments ?? new Dictionary<string, object?>())
                    {
                        text.Append(argument.Value is JsonElement element ? element.GetRawText() : Convert.ToString(argument.Value, CultureInfo.InvariantCulture)).Append(' ');
                    }

                    break;
                case FunctionResultContent result:
                    text.Append(Convert.ToString(result.Result, CultureInfo.InvariantCulture)).Append(' ');
                    break;
            }
        }

        return text.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
    }

    /// <summary>A call of the current run and its result (null until it has one).</summary>
    protected internal sealed record CallAndResult(FunctionCallContent Call, string? Result)
    {
        /// <summary>Whether the result is a tool error (<c>error: ...</c>).</summary>
        public bool Failed => Result?.StartsWith(Tools.ToolResult.ErrorPrefix, StringComparison.Ordinal) == true;
    }
}
