using AgentGrains.Runtime.Membership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Runtime;

public sealed partial class Silo
{
    private long lastHeartbeat;
    private volatile bool fencing;
    private Task? heartbeats;

    /// <summary>Where this silo serves the gateway API.</summary>
    public string Address => options.Address ?? Environment.MachineName.ToLowerInvariant();

    /// <summary>Test seam: while true the silo sends no heartbeat (a partition from the database, or a paused process).</summary>
    internal bool HeartbeatSuspended { get; set; }

    /// <summary>Test seam: while true the silo does not fence itself (a process paused cannot run its own check).</summary>
    internal bool SelfFencingSuspended { get; set; }

    private IMembershipStorage Membership => (IMembershipStorage)Storage;

    /// <summary>A node that hosts no grain type is a client: it sends calls and gets replies, and is no member.</summary>
    internal bool IsClient => !Directory.HostsGrains;

    private async Task JoinAsync(CancellationToken cancellationToken)
    {
        var started = TimeProvider.GetTimestamp();
        if (IsClient)
        {
            peers = await Membership.ReadSilosAsync(options.DeathTimeout, cancellationToken).ConfigureAwait(false);
            heartbeats = Task.Run(() => WatchMembershipAsync(stopping.Token), CancellationToken.None);
            return;
        }

        await Membership.RegisterAsync(SiloId, Address, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref lastHeartbeat, started);
        heartbeats = Task.Run(() => HeartbeatAsync(stopping.Token), CancellationToken.None);
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval, TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!HeartbeatSuspended)
                {
                    var started = TimeProvider.GetTimestamp();
                    try
                    {
                        // Bounded: a heartbeat stuck on a dead connection must not stop the fencing check below.
                        var alive = await Membership.HeartbeatAsync(SiloId, Directory.Count, cancellationToken)
                            .WaitAsync(options.HeartbeatInterval, TimeProvider, cancellationToken).ConfigureAwait(false);
                        if (!alive)
                        {
                            await FenceAsync("the cluster declared it dead").ConfigureAwait(false);
                            return;
                        }

                        Volatile.Write(ref lastHeartbeat, started);
                        await DeclareDeadSilosAsync(cancellationToken).ConfigureAwait(false);
                        var previous = peers;
                        peers = await Membership.ReadSilosAsync(options.DeathTimeout, cancellationToken).ConfigureAwait(false);
                        // Whoever declared it (this silo, a peer, a takeover), a silo newly seen dead may
                        // leave messages that were forwarded to it: take them over now, not at the next scan.
                        if (peers.Any(p => p.Status == SiloStates.Dead && previous.Any(q => q.Id == p.Id && q.Status != SiloStates.Dead)))
                        {
                            await RecoverPendingAsync(cancellationToken).ConfigureAwait(false);
                            await CollectLostRepliesAsync().ConfigureAwait(false);
                        }
                    }
                    catch (Exception ex) when (ex is AgentGrainsException or TimeoutException)
                    {
                        LogHeartbeatFailed(logger, SiloId, ex);
                    }
                }

                // The others may take over once the database saw no heartbeat for DeathTimeout. The last
                // successful heartbeat started before the database stamped it, and this check runs every
                // HeartbeatInterval, so fencing at DeathTimeout - HeartbeatInterval stops this silo first.
                var silent = TimeProvider.GetElapsedTime(Volatile.Read(ref lastHeartbeat));
                if (!SelfFencingSuspended && silent > options.DeathTimeout - options.HeartbeatInterval)
                {
                    await FenceAsync($"it could not renew its heartbeat for {silent.TotalSeconds:0.0} s").ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A client's view of the cluster, refreshed every heartbeat interval (it has no heartbeat of its own).</summary>
    private async Task WatchMembershipAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval, TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    peers = await Membership.ReadSilosAsync(options.DeathTimeout, cancellationToken).ConfigureAwait(false);
                }
                catch (AgentGrainsException ex)
                {
                    LogHeartbeatFailed(logger, SiloId, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops all processing at once because this silo may no longer own its grains.</summary>
    /// <remarks>
    /// Nothing more is committed or released: the others take the grains over with new epochs.
    /// The host is asked to stop, so an orchestrator restarts the process as a new silo.
    /// </remarks>
    private async Task FenceAsync(string reason)
    {
        LogFenced(logger, SiloId, reason);
        fencing = true;
        Task kill;
        lock (stopGate)
        {
            kill = stop ??= KillOnceAsync();
        }

        await kill.ConfigureAwait(false);
        Services.GetService<IHostApplicationLifetime>()?.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloId} could not renew its heartbeat")]
    private static partial void LogHeartbeatFailed(ILogger logger, string siloId, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Silo {SiloId} fenced itself and stopped processing: {Reason}")]
    private static partial void LogFenced(ILogger logger, string siloId, string reason);
}
