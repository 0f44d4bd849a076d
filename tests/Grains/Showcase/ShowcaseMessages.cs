using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains.Showcase;

/// <summary>Conversations as the session grain gives them to a model, for the showcase model tests.</summary>
internal static class ShowcaseMessages
{
    public static ChatMessage Instructions(string text = "instructions") => new(ChatRole.System, text);

    public static ChatMessage User(string text) => new(ChatRole.User, text);

    /// <summary>A specialist's input: its request serialized as the runtime stores call arguments.</summary>
    public static ChatMessage Request(object request) => new(ChatRole.User, JsonSerializer.Serialize(request, AIJsonUtilities.DefaultOptions));

    public static ChatMessage Results(params (string CallId, string Result)[] results) =>
        new(ChatRole.Tool, [.. results.Select(static r => (AIContent)new FunctionResultContent(r.CallId, r.Result))]);

    public static async Task<ChatMessage> ReplyAsync(this IChatClient model, IEnumerable<ChatMessage> messages) =>
        Assert.Single((await model.GetResponseAsync([.. messages], cancellationToken: TestContext.Current.CancellationToken)).Messages);

    public static List<FunctionCallContent> Calls(this ChatMessage message) => [.. message.Contents.OfType<FunctionCallContent>()];

    public static string? Argument(this FunctionCallContent call, string name) =>
        call.Arguments?.TryGetValue(name, out var value) == true ? value switch
        {
            JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
            JsonElement element => element.GetRawText(),
            _ => value?.ToString(),
        } : null;
}
