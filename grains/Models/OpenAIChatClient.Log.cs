using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Models;

public sealed partial class OpenAIChatClient
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Model call failed ({Status} {Reason}) on attempt {Attempt} of {MaxAttempts}; retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, int? status, string reason, int attempt, int maxAttempts, long delayMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "The model provider's Retry-After header '{Value}' is neither seconds nor an HTTP date; using the backoff delay")]
    private static partial void LogUnreadableRetryAfter(ILogger logger, string value);
}
