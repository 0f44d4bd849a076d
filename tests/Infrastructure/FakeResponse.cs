namespace AgentGrains.Tests.Infrastructure;

/// <summary>What the fake OpenAI server answers to one request: build one with the static methods.</summary>
public sealed class FakeResponse
{
    private FakeResponse()
    {
    }

    /// <summary>Which kind of answer this is.</summary>
    public FakeResponseKind Kind { get; private init; }

    /// <summary>The assistant's text (a reply may carry text and tool calls).</summary>
    public string? Content { get; private init; }

    /// <summary>The model's refusal, sent as <c>refusal</c> instead of an answer.</summary>
    public string? Refusal { get; private init; }

    /// <summary>The tool calls of the reply.</summary>
    public IReadOnlyList<FakeToolCall> ToolCalls { get; private init; } = [];

    /// <summary>The reported usage; null leaves <c>usage</c> out of the reply.</summary>
    public FakeUsage? Usage { get; private init; }

    /// <summary>The <c>finish_reason</c>; default <c>stop</c>, or <c>tool_calls</c> when the reply has calls.</summary>
    public string? FinishReason { get; private init; }

    /// <summary>For an error, the HTTP status.</summary>
    public int StatusCode { get; private init; } = 200;

    /// <summary>For an error, the raw body sent (an OpenAI error object unless given explicitly).</summary>
    public string? ErrorBody { get; private init; }

    /// <summary>For an error, the <c>Retry-After</c> header (whole seconds, rounded up), if any.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>When set, the server answers only once this task completes (or never, if the client gives up first).</summary>
    public Task? Hold { get; private init; }

    /// <summary>This response, sent only once <paramref name="release"/> completes.</summary>
    public FakeResponse HeldUntil(Task release) => new()
    {
        Kind = Kind,
        Content = Content,
        Refusal = Refusal,
        ToolCalls = ToolCalls,
        Usage = Usage,
        FinishReason = FinishReason,
        StatusCode = StatusCode,
        ErrorBody = ErrorBody,
        RetryAfter = RetryAfter,
        Hold = release,
    };

    /// <summary>A text reply.</summary>
    public static FakeResponse Text(string content, FakeUsage? usage = null, string finishReason = "stop") =>
        new() { Kind = FakeResponseKind.Reply, Content = content, Usage = usage, FinishReason = finishReason };

    /// <summary>A refusal: no content, the model's reason in <c>refusal</c>.</summary>
    public static FakeResponse Refused(string refusal) =>
        new() { Kind = FakeResponseKind.Reply, Refusal = refusal, FinishReason = "stop" };

    /// <summary>A reply with one or more tool calls (and optionally text); the arguments go out as given, valid JSON or not.</summary>
    public static FakeResponse Calls(IReadOnlyList<FakeToolCall> calls, FakeUsage? usage = null, string? content = null)
    {
        ArgumentNullException.ThrowIfNull(calls);
        return new() { Kind = FakeResponseKind.Reply, Content = content, ToolCalls = calls, Usage = usage, FinishReason = "tool_calls" };
    }

    /// <summary>A reply with one tool call.</summary>
    public static FakeResponse Call(string name, string arguments, string? id = null, FakeUsage? usage = null) =>
        Calls([new FakeToolCall(name, arguments, id)], usage);

    /// <summary>An HTTP error with an OpenAI error body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    /// <param name="statusCode">The HTTP status, e.g. 429, 500 or 401.</param>
    /// <param name="message">The error message the provider gives.</param>
    /// <param name="code">The error code, e.g. <c>rate_limit_exceeded</c> or <c>invalid_api_key</c>.</param>
    /// <param name="type">The error type; default by status (<c>requests</c> for 429, <c>server_error</c> for 5xx, else <c>invalid_request_error</c>).</param>
    /// <param name="retryAfter">Sent as <c>Retry-After</c> in whole seconds, rounded up.</param>
    public static FakeResponse Error(int statusCode, string message, string? code = null, string? type = null, TimeSpan? retryAfter = null)
    {
        type ??= statusCode switch
        {
            429 => "requests",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        var body = System.Text.Json.JsonSerializer.Serialize(new
        {
            error = new { message, type, param = (string?)null, code },
        });
        return RawError(statusCode, body, retryAfter);
    }

    /// <summary>An HTTP error with exactly this body (JSON or not).</summary>
    public static FakeResponse RawError(int statusCode, string body, TimeSpan? retryAfter = null) =>
        new() { Kind = FakeResponseKind.Error, StatusCode = statusCode, ErrorBody = body, RetryAfter = retryAfter };

    /// <summary>A request that is never answered: the server holds it until the client gives up or the server is disposed.</summary>
    public static FakeResponse Hang() => new() { Kind = FakeResponseKind.Hang };
}
