using System.Text.Json;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Sessions;

/// <summary>Maps stored history entries to the messages a model sees, and model tool calls to stored entries.</summary>
internal static class HistoryMessages
{
    public const string User = "user";
    public const string Assistant = "assistant";
    public const string Tool = "tool";

    public static ChatMessage ToChatMessage(HistoryEntry entry) => entry.Role switch
    {
        User => new ChatMessage(ChatRole.User, entry.Content),
        Assistant when entry.ToolCalls is { Count: > 0 } calls => new ChatMessage(ChatRole.Assistant, AssistantContents(entry.Content, calls)),
        Assistant => new ChatMessage(ChatRole.Assistant, entry.Content),
        Tool => new ChatMessage(ChatRole.Tool, [new FunctionResultContent(entry.ToolCallId ?? string.Empty, entry.Content)]),
        _ => new ChatMessage(new ChatRole(entry.Role), entry.Content),
    };

    public static ToolCallEntry ToEntry(FunctionCallContent call) => new(
        call.CallId,
        call.Name,
        // Arguments the model client could not parse are gone (only the parse error is kept); "{}"
        // keeps the stored call replayable while its tool message records the error.
        call.Arguments is null ? "{}" : JsonSerializer.Serialize(call.Arguments, CompactJson.GetTypeInfo(typeof(IDictionary<string, object?>))));

    // The same contract as the model client's serializer, without indentation: arguments are stored in every journal row.
    private static readonly JsonSerializerOptions CompactJson = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    private static List<AIContent> AssistantContents(string text, IReadOnlyList<ToolCallEntry> calls)
    {
        var contents = new List<AIContent>(calls.Count + 1);
        if (!string.IsNullOrEmpty(text))
        {
            contents.Add(new TextContent(text));
        }

        foreach (var call in calls)
        {
            contents.Add(FunctionCallContent.CreateFromParsedArguments(call.Arguments, call.Id, call.Name, ParseArguments));
        }

        return contents;
    }

    public static Dictionary<string, object?>? ParseArguments(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions);
}
