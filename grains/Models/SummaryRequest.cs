using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Models;

/// <summary>The model request that updates a session's running summary, and the system message that carries the summary to later model calls.</summary>
/// <remarks>
/// The request is two messages: a system prompt that starts with <see cref="Marker"/> and states the
/// length limit, and a user message with the previous summary and the messages newly out of the
/// window, one per line as <c>role: text</c>. Its options carry <see cref="OptionKey"/>, so a model
/// that decides from the request (the offline ones) can tell it from a conversation turn.
/// </remarks>
public static class SummaryRequest
{
    /// <summary>How the summarization prompt starts.</summary>
    public const string Marker = "Summarize the conversation so far.";

    /// <summary>The key in <see cref="ChatOptions.AdditionalProperties"/> that marks a summary request (its value is the length limit).</summary>
    public const string OptionKey = "agentgrains_summary_max_length";

    /// <summary>How the system message carrying the summary starts.</summary>
    public const string Prefix = "Summary of the earlier conversation: ";

    /// <summary>The line of the request's user message before the previous summary.</summary>
    public const string PreviousHeading = "Previous summary:";

    /// <summary>The line of the request's user message before the new messages.</summary>
    public const string MessagesHeading = "New messages:";

    // A message longer than this is cut in the request: one long message must not make the summary step unbounded.
    private const int MaxMessageLength = 2_000;

    /// <summary>The request: the previous summary (or null) and the messages newly out of the window, as (role, text).</summary>
    public static List<ChatMessage> Messages(string? previous, IEnumerable<(string Role, string Text)> messages, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = string.Create(
            CultureInfo.InvariantCulture,
            $"{Marker} Update the previous summary with the new messages. Keep the facts the user stated, their requests and the decisions made; "
            + $"leave out small talk. Reply with the summary alone, in at most {maxLength} characters.");
        var text = new StringBuilder();
        text.Append(PreviousHeading).Append('\n').Append(string.IsNullOrWhiteSpace(previous) ? "(none)" : previous).Append("\n\n");
        text.Append(MessagesHeading).Append('\n');
        foreach (var (role, content) in messages)
        {
            var line = content.ReplaceLineEndings(" ");
            text.Append(role).Append(": ").Append(line.Length <= MaxMessageLength ? line : line[..MaxMessageLength]).Append('\n');
        }

        return [new ChatMessage(ChatRole.System, prompt), new ChatMessage(ChatRole.User, text.ToString())];
    }

    /// <summary>The options of a summary request.</summary>
    public static ChatOptions Options(string? modelId, int maxLength) =>
        new() { ModelId = modelId, AdditionalProperties = new AdditionalPropertiesDictionary { [OptionKey] = maxLength } };

    /// <summary>Whether a request is a summary request; <paramref name="maxLength"/> is its length limit.</summary>
    public static bool IsRequest(IReadOnlyList<ChatMessage> messages, ChatOptions? options, out int maxLength)
    {
        ArgumentNullException.ThrowIfNull(messages);
        object? value = null;
        var flagged = options?.AdditionalProperties is { } properties && properties.TryGetValue(OptionKey, out value);
        if (!flagged && !(messages.Count > 0 && messages[0].Role == ChatRole.System && messages[0].Text.StartsWith(Marker, StringComparison.Ordinal)))
        {
            maxLength = 0;
            return false;
        }

        maxLength = value is int limit && limit > 0 ? limit : 2_000;
        return true;
    }

    /// <summary>The system message that carries <paramref name="summary"/> to a model call.</summary>
    public static ChatMessage Carrier(string summary) => new(ChatRole.System, Prefix + summary);

    /// <summary>The summary a message carries, or null when it carries none.</summary>
    public static string? CarriedBy(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Role == ChatRole.System && message.Text is { } text && text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : null;
    }

    /// <summary>Cuts <paramref name="summary"/> to <paramref name="maxLength"/> characters.</summary>
    public static string Bound(string summary, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var trimmed = summary.Trim();
        return trimmed.Length <= maxLength ? trimmed : trimmed[..maxLength];
    }
}
