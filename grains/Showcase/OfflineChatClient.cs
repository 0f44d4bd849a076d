using System.Globalization;
using System.Text.Json;
using AgentGrains.Grains.Models;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Showcase;

/// <summary>What the showcase's offline models share: reading the current run's input, calls and results from the messages.</summary>
/// <remarks>Deterministic like every <see cref="DeterministicChatClient"/>: the reply depends on the messages alone.</remarks>
internal abstract class OfflineChatClient(string modelId) : DeterministicChatClient(modelId)
{
    /// <summary>The serializer options of the tool schemas, so requests and replies read and write like the runtime's.</summary>
    protected static JsonSerializerOptions Json => AIJsonUtilities.DefaultOptions;

    /// <summary>The next assistant message for <paramref name="messages"/> (system prompt first, the newest last).</summary>
    protected abstract ChatMessage Decide(IReadOnlyList<ChatMessage> messages);

    /// <inheritdoc />
    protected sealed override ChatMessage Decide(IReadOnlyList<ChatMessage> messages, ChatOptions? options) => Decide(messages);

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

    /// <summary>A call of the current run and its result (null until it has one).</summary>
    protected internal sealed record CallAndResult(FunctionCallContent Call, string? Result)
    {
        /// <summary>Whether the result is a tool error (<c>error: ...</c>).</summary>
        public bool Failed => Result?.StartsWith(Tools.ToolResult.ErrorPrefix, StringComparison.Ordinal) == true;
    }
}
