using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAIChat = OpenAI.Chat;

namespace AgentGrains.Grains.Models;

public sealed partial class OpenAIChatClient
{
    private static List<OpenAIChat.ChatMessage> ToOpenAIMessages(IEnumerable<ChatMessage> messages)
    {
        var result = new List<OpenAIChat.ChatMessage>();
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.System)
            {
                result.Add(new OpenAIChat.SystemChatMessage(message.Text));
            }
            else if (message.Role == ChatRole.User)
            {
                result.Add(new OpenAIChat.UserChatMessage(UserParts(message)));
            }
            else if (message.Role == ChatRole.Assistant)
            {
                result.Add(ToAssistantMessage(message));
            }
            else if (message.Role == ChatRole.Tool)
            {
                // One wire message per result: the API pairs each with its call by tool_call_id.
                foreach (var toolResult in message.Contents.OfType<FunctionResultContent>())
                {
                    result.Add(new OpenAIChat.ToolChatMessage(toolResult.CallId, ResultText(toolResult)));
                }
            }
            else
            {
                throw new NotSupportedException($"Messages with role '{message.Role}' cannot be sent to an OpenAI-compatible model; use system, user, assistant or tool.");
            }
        }

        return result;
    }

    private static List<OpenAIChat.ChatMessageContentPart> UserParts(ChatMessage message)
    {
        var parts = new List<OpenAIChat.ChatMessageContentPart>();
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent text:
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateTextPart(text.Text));
                    break;
                case UriContent uri when uri.HasTopLevelMediaType("image"):
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateImagePart(uri.Uri));
                    break;
                case DataContent data when data.HasTopLevelMediaType("image"):
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(data.Data), data.MediaType));
                    break;
                default:
                    throw new NotSupportedException($"User message content of type {content.GetType().Name} cannot be sent to an OpenAI-compatible model; send text or images.");
            }
        }

        if (parts.Count == 0)
        {
            parts.Add(OpenAIChat.ChatMessageContentPart.CreateTextPart(string.Empty));
        }

        return parts;
    }

    private static OpenAIChat.AssistantChatMessage ToAssistantMessage(ChatMessage message)
    {
        var calls = message.Contents
            .OfType<FunctionCallContent>()
            .Select(static call => OpenAIChat.ChatToolCall.CreateFunctionToolCall(
                call.CallId,
                call.Name,
                BinaryData.FromString(JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions))))
            .ToList();
        var text = message.Text;
        if (calls.Count == 0)
        {
            return new OpenAIChat.AssistantChatMessage(text);
        }

        var assistant = new OpenAIChat.AssistantChatMessage(calls);
        if (!string.IsNullOrEmpty(text))
        {
            assistant.Content.Add(OpenAIChat.ChatMessageContentPart.CreateTextPart(text));
        }

        return assistant;
    }

    private static string ResultText(FunctionResultContent result) => result.Result switch
    {
        string text => text,
        null when result.Exception is { } exception => $"Error: {exception.Message}",
        null => string.Empty,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString() ?? string.Empty,
        var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object))),
    };

    private static OpenAIChat.ChatCompletionOptions ToOpenAIOptions(ChatOptions? options)
    {
        var result = new OpenAIChat.ChatCompletionOptions();
        if (options is null)
        {
            return result;
        }

        result.Temperature = options.Temperature;
        result.TopP = options.TopP;
        result.MaxOutputTokenCount = options.MaxOutputTokens;
        foreach (var stop in options.StopSequences ?? [])
        {
            result.StopSequences.Add(stop);
        }

        foreach (var tool in options.Tools ?? [])
        {
            if (tool is not AIFunctionDeclaration function)
            {
                throw new NotSupportedException($"Tool '{tool.Name}' ({tool.GetType().Name}) cannot be offered to an OpenAI-compatible model; only functions can.");
            }

            result.Tools.Add(OpenAIChat.ChatTool.CreateFunctionTool(
                function.Name,
                string.IsNullOrEmpty(function.Description) ? null : function.Description,
                BinaryData.FromString(function.JsonSchema.GetRawText())));
        }

        if (result.Tools.Count > 0)
        {
            result.ToolChoice = options.ToolMode switch
            {
                NoneChatToolMode => OpenAIChat.ChatToolChoice.CreateNoneChoice(),
                RequiredChatToolMode { RequiredFunctionName: { } name } => OpenAIChat.ChatToolChoice.CreateFunctionChoice(name),
                RequiredChatToolMode => OpenAIChat.ChatToolChoice.CreateRequiredChoice(),
                _ => null,
            };
        }

        return result;
    }

    private static ChatResponse FromOpenAICompletion(OpenAIChat.ChatCompletion completion)
    {
        var contents = new List<AIContent>();
        foreach (var part in completion.Content)
        {
            if (part.Kind == OpenAIChat.ChatMessageContentPartKind.Text && !string.IsNullOrEmpty(part.Text))
            {
                contents.Add(new TextContent(part.Text) { RawRepresentation = part });
            }
        }

        if (!string.IsNullOrEmpty(completion.Refusal))
        {
            // A refusal is what the model says instead of an answer: the user should see it.
            contents.Add(new TextContent(completion.Refusal));
        }

        foreach (var call in completion.ToolCalls)
        {
            var arguments = call.FunctionArguments?.ToString() ?? string.Empty;
            // Invalid JSON becomes a call with Exception set (the parser's throw is caught), not a failed turn.
            var content = FunctionCallContent.CreateFromParsedArguments(arguments, call.Id, call.FunctionName, ParseArguments);
            content.RawRepresentation = call;
            contents.Add(content);
        }

        var message = new ChatMessage(ChatRole.Assistant, contents)
        {
            MessageId = completion.Id,
            CreatedAt = completion.CreatedAt,
            RawRepresentation = completion,
        };
        return new ChatResponse(message)
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = completion.CreatedAt,
            FinishReason = ToFinishReason(completion.FinishReason),
            Usage = completion.Usage is { } usage
                ? new UsageDetails
                {
                    InputTokenCount = usage.InputTokenCount,
                    OutputTokenCount = usage.OutputTokenCount,
                    TotalTokenCount = usage.TotalTokenCount,
                }
                : null,
            RawRepresentation = completion,
        };
    }

    private static Dictionary<string, object?>? ParseArguments(string json) =>
        // Some servers send "" for a function without parameters.
        string.IsNullOrWhiteSpace(json)
            ? []
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions);

    private static ChatFinishReason? ToFinishReason(OpenAIChat.ChatFinishReason reason) => reason switch
    {
        OpenAIChat.ChatFinishReason.Stop => ChatFinishReason.Stop,
        OpenAIChat.ChatFinishReason.Length => ChatFinishReason.Length,
        OpenAIChat.ChatFinishReason.ToolCalls or OpenAIChat.ChatFinishReason.FunctionCall => ChatFinishReason.ToolCalls,
        OpenAIChat.ChatFinishReason.ContentFilter => ChatFinishReason.ContentFilter,
        _ => null,
    };
}
