using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Runs;

public sealed partial class RunEngine
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} created for agent {Agent}")]
    private static partial void LogCreated(ILogger logger, string sessionId, string agent);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session {SessionId}: run {RunId} started")]
    private static partial void LogRunStarted(ILogger logger, string sessionId, string runId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session {SessionId}: run {RunId} queued ({Waiting} waiting)")]
    private static partial void LogQueued(ILogger logger, string sessionId, string runId, int waiting);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: run {RunId} ended {Status} {Reason}")]
    private static partial void LogRunFinished(ILogger logger, string sessionId, string runId, string status, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: run {RunId} cancelled")]
    private static partial void LogCancelled(ILogger logger, string sessionId, string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: run {RunId} resumes from its journal after {Steps} journaled steps")]
    private static partial void LogResuming(ILogger logger, string sessionId, string runId, int steps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: run {RunId} made no progress for {Seconds} s; its watchdog restarts it")]
    private static partial void LogStalled(ILogger logger, string sessionId, string runId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: run {RunId} waits for approval of {Calls} tool calls")]
    private static partial void LogAwaitingApproval(ILogger logger, string sessionId, string runId, int calls);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: tool {Tool} returned an error at step {Step}: {Error}")]
    private static partial void LogToolError(ILogger logger, string sessionId, string tool, int step, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session {SessionId}: specialist run {RunId} of agent {Agent} started for manager run {ParentRunId}")]
    private static partial void LogDelegated(ILogger logger, string sessionId, string runId, string parentRunId, string agent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: run {RunId} handed from agent {From} to agent {To}")]
    private static partial void LogHandoff(ILogger logger, string sessionId, string runId, string from, string to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: run {RunId} goes on without updating the summary: {Reason}")]
    private static partial void LogSummaryFailed(ILogger logger, string sessionId, string runId, string reason);
}
