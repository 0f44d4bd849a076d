using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Models;

/// <summary>The plumbing of an offline model that decides each reply from the messages alone: usage as word counts, one streaming update, metadata.</summary>
/// <remarks>
/// A subclass decides from the messages (and the tools offered) and nothing else: no clock, no
/// randomness, no state between calls. So a conversation always gets the same replies, and a run
/// resumed from its journal asks the same questions again. Token usage is the number of
/// whitespace-separated words, so it is deterministic too.
/// </remarks>
public abstract class DeterministicChatClient : IChatClient
{
    private readonly string modelId;
    private readonly ChatClientMetadata metadata;

    /// <summary>A model that reports <paramref name="modelId"/> in its responses.</summary>
    protected DeterministicChatClient(string modelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        this.modelId = modelId;
        metadata = new ChatClientMetadata($"agentgrains-{modelId}", defaultModelId: modelId);
    }

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var conversation = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var reply = SummaryRequest.IsRequest(conversation, options, out var maxLength)
            ? Say(Summarize(conversation, maxLength))
            : Decide(conversation, options);
        var calls = reply.Contents.OfType<FunctionCallContent>().Any();
        long input = conversation.Sum(CountWords);
        long output = CountWords(reply);
        return Task.FromResult(new ChatResponse(reply)
        {
            ModelId = modelId,
            FinishReason = calls ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output },
        });
    }

    /// <inheritdoc />
    /// <remarks>The whole response comes as one update (with its usage), once it is decided.</remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var contents = new List<AIContent>(response.Messages[0].Contents);
        if (response.Usage is { } usage)
        {
            contents.Add(new UsageContent(usage));
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, contents)
        {
            ModelId = response.ModelId,
            FinishReason = response.FinishReason,
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing to release: the model holds no connections.
        GC.SuppressFinalize(this);
    }

    /// <summary>The next assistant message for <paramref name="messages"/> (system prompt first, the newest last).</summary>
    /// <param name="messages">The conversation as sent.</param>
    /// <param name="options">The request's options (the tools offered), if any.</param>
    protected abstract ChatMessage Decide(IReadOnlyList<ChatMessage> messages, ChatOptions? options);

    /// <summary>The running summary for a summary request (<see cref="SummaryRequest"/>), at most <paramref name="maxLength"/> characters.</summary>
    /// <remarks>
    /// The user's statements (their messages that are not questions) kept as sentences, after those
    /// of the previous summary, each once; when they do not fit, the oldest are dropped.
    /// </remarks>
    /// <param name="messages">The summary request.</param>
    /// <param name="maxLength">The longest summary allowed.</param>
    protected virtual string Summarize(IReadOnlyList<ChatMessage> messages, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = messages.Count > 0 ? messages[^1].Text : string.Empty;
        var sentences = new List<string>();
        var section = string.Empty;
        foreach (var raw in request.Split('\n'))
        {
            var line = raw.Trim();
            if (line is SummaryRequest.PreviousHeading or SummaryRequest.MessagesHeading)
            {
                section = line;
                continue;
            }

            if (line.Length == 0 || line == "(none)")
            {
                continue;
            }

            if (section == SummaryRequest.PreviousHeading)
            {
                sentences.AddRange(SplitSentences(line));
            }
            else if (section == SummaryRequest.MessagesHeading && line.StartsWith("user: ", StringComparison.Ordinal))
            {
                sentences.AddRange(SplitSentences(line["user: ".Length..]).Where(static t => !t.EndsWith('?')));
            }
        }

        // Each statement once, at its latest place: a restated fact moves to the end.
        var kept = new List<string>();
        for (var i = sentences.Count - 1; i >= 0; i--)
        {
            if (!kept.Contains(sentences[i], StringComparer.OrdinalIgnoreCase))
            {
                kept.Insert(0, sentences[i]);
            }
        }

        var summary = string.Join(" ", kept);
        while (summary.Length > maxLength && kept.Count > 1)
        {
            kept.RemoveAt(0);
            summary = string.Join(" ", kept);
        }

        return summary.Length <= maxLength ? summary : summary[..maxLength];
    }

    /// <summary>A reply in text.</summary>
    protected static ChatMessage Say(string text) => new(ChatRole.Assistant, text);

    /// <summary>A reply calling <paramref name="calls"/> in parallel, with ids numbered after the calls already in view (stable for a conversation).</summary>
    protected static ChatMessage Call(IReadOnlyList<ChatMessage> messages, params IEnumerable<(string Tool, Dictionary<string, object?> Arguments)> calls)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(calls);
        var number = messages.Sum(static m => m.Contents.OfType<FunctionCallContent>().Count());
        var contents = new List<AIContent>();
        foreach (var (tool, arguments) in calls)
        {
            contents.Add(new FunctionCallContent($"call_{(++number).ToString(CultureInfo.InvariantCulture)}", tool, arguments));
        }

        return new ChatMessage(ChatRole.Assistant, contents);
    }

    private static IEnumerable<string> SplitSentences(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is '.' or '!' or '?' && (i + 1 == text.Length || char.IsWhiteSpace(text[i + 1])))
            {
                if (text[start..(i + 1)].Trim() is { Length: > 1 } sentence)
                {
                    yield return sentence;
                }

                start = i + 1;
            }
        }

        if (text[start..].Trim() is { Length: > 0 } rest)
        {
            yield return rest + ".";
        }
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
}
