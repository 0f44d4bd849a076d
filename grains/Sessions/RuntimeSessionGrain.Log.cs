using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Sessions;

public sealed partial class RuntimeSessionGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: the run driver stopped ({Reason}); the run resumes from its journal")]
    private static partial void LogDriverStopped(ILogger logger, string sessionId, string reason, Exception exception);
}
