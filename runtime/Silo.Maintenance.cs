using Microsoft.Extensions.Logging;

namespace AgentGrains.Runtime;

public sealed partial class Silo
{
    /// <summary>How often the silo looks for pending messages nobody is processing and for idle grains.</summary>
    private TimeSpan MaintenancePeriod => TimeSpan.FromTicks(Math.Max(
        TimeSpan.FromMilliseconds(100).Ticks,
        Math.Min(options.RecoveryInterval.Ticks, options.IdleTimeout.Ticks / 2)));

    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(MaintenancePeriod, TimeProvider);
        try
        {
            do
            {
                await RecoverPendingAsync(cancellationToken).ConfigureAwait(false);
                await CollectLostRepliesAsync().ConfigureAwait(false);
                CollectIdle();
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Marks silos whose heartbeat is older than the death timeout as dead; if any, takes over their pending work at once.</summary>
    private async Task DeclareDeadSilosAsync(CancellationToken cancellationToken)
    {
        try
        {
            var dead = await Membership.DeclareDeadAsync(options.DeathTimeout, cancellationToken).ConfigureAwait(false);
            foreach (var silo in dead)
            {
                LogDeclaredDead(logger, silo, SiloId);
            }

            if (dead.Count > 0)
            {
                await RecoverPendingAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (AgentGrainsException ex)
        {
            LogRecoveryFailed(logger, SiloId, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {DeadSilo} missed its heartbeats past the death timeout; {SiloId} declared it dead")]
    private static partial void LogDeclaredDead(ILogger logger, string deadSilo, string siloId);

    /// <summary>Activates every grain with messages left pending (by a crash, a stop, a failed commit).</summary>
    private async Task RecoverPendingAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<GrainId> grains;
        try
        {
            grains = await Storage.ReadGrainsWithPendingAsync(10_000, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRecoveryFailed(logger, SiloId, ex);
            return;
        }

        foreach (var grain in grains)
        {
            try
            {
                Directory.GetOrCreate(grain).Pull();
                LogRecovering(logger, grain);
            }
            catch (ArgumentException ex)
            {
                LogRecoveryFailed(logger, SiloId, ex);
            }
        }
    }

    private void CollectIdle()
    {
        var cutoff = TimeProvider.GetTimestamp() - (long)(options.IdleTimeout.TotalSeconds * TimeProvider.TimestampFrequency);
        foreach (var activation in Directory.All)
        {
            if (activation.TryClose(cutoff))
            {
                TrackDeactivation(activation);
            }
        }
    }
}
