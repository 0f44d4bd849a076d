using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Sessions;

public sealed partial class AgentSessionGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: the run driver stopped ({Reason}); the run resumes from its journal")]
    private static partial void LogDriverStopped(ILogger logger, string sessionId, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: specialist run {RunId} cancelled because {Reason}")]
    private static partial void LogSpecialistCancelled(ILogger logger, string sessionId, string runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: cancelling specialist run {RunId} failed; it ends by its own budgets")]
    private static partial void LogSpecialistCancelFailed(ILogger logger, string sessionId, string runId, Exception exception);
}
