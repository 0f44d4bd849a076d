using Microsoft.Extensions.Logging;

namespace AgentGrains.Runtime;

public sealed partial class Silo
{
    internal void LogDeactivationFailed(GrainId grain, Exception exception) => LogDeactivationFailed(logger, grain, exception);

    internal void LogActivationFailed(GrainId grain, Exception exception) => LogActivationFailed(logger, grain, exception);

    internal void LogCommitFailed(GrainId grain, long messageId, Exception exception) => LogCommitFailed(logger, grain, messageId, exception);

    internal void LogReminderUnregistered(GrainId grain, string reminder, string grainClass) => LogReminderUnregistered(logger, grain, reminder, grainClass);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain {Grain} ({GrainClass}) does not implement IRemindable; its reminder {Reminder} was unregistered")]
    private static partial void LogReminderUnregistered(ILogger logger, GrainId grain, string reminder, string grainClass);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloId} could not fire due reminders; it tries again at the next poll")]
    private static partial void LogReminderPollFailed(ILogger logger, string siloId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} started")]
    private static partial void LogStarted(ILogger logger, string siloId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} stopping; deactivating {Count} grains")]
    private static partial void LogStopping(ILogger logger, string siloId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} stopped")]
    private static partial void LogStopped(ILogger logger, string siloId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloId} did not deactivate every grain before the stop deadline")]
    private static partial void LogStopIncomplete(ILogger logger, string siloId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deactivating grain {Grain} failed")]
    private static partial void LogDeactivationFailed(ILogger logger, GrainId grain, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Activating grain {Grain} failed; its pending messages stay in the inbox")]
    private static partial void LogActivationFailed(ILogger logger, GrainId grain, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing message {MessageId} of grain {Grain} failed; the grain restarts from storage")]
    private static partial void LogCommitFailed(ILogger logger, GrainId grain, long messageId, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Recovering pending messages of grain {Grain}")]
    private static partial void LogRecovering(ILogger logger, GrainId grain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloId} could not scan for pending messages")]
    private static partial void LogRecoveryFailed(ILogger logger, string siloId, Exception exception);
}
