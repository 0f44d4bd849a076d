using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Sessions;

public sealed partial class AgentSessionGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} created for agent {Agent}")]
    private static partial void LogCreated(ILogger logger, string sessionId, string agent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: tool {Tool} returned an error at step {Step}: {Error}")]
    private static partial void LogToolError(ILogger logger, string sessionId, string tool, int step, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: the run stopped at its step budget of {MaxSteps} model calls")]
    private static partial void LogStepBudgetExhausted(ILogger logger, string sessionId, int maxSteps);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session {SessionId}: turn completed in {Steps} model calls; {Messages} messages in the history")]
    private static partial void LogTurnCompleted(ILogger logger, string sessionId, int steps, long messages);
}
