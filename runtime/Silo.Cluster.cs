using AgentGrains.Runtime.Cluster;
using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime;

public sealed partial class Silo
{
    private IDisposable? subscription;

    // The membership as of the last heartbeat: enough for placement, which needs no fresher view.
    private IReadOnlyList<AgentGrains.Runtime.Membership.SiloInfo> peers = [];

    /// <summary>Active peers in the last heartbeat's view of the membership (tests wait on it).</summary>
    internal int KnownActivePeers => peers.Count(p => p.Status == AgentGrains.Runtime.Membership.SiloStates.Active && p.Id != SiloId);

    internal IClusterSignals Signals { get; }

    /// <summary>Claims a grain for this silo, or names the live silo that owns it.</summary>
    /// <exception cref="GrainOwnedElsewhereException">Another live silo owns the grain.</exception>
    internal async Task<long> ClaimAsync(GrainId grain)
    {
        if (Directory.Count > options.MaxActivations && PickPlacementPeer() is { } peer)
        {
            // Full: let a peer below its limit claim it (it pulls the grain's inbox when woken).
            throw new GrainOwnedElsewhereException(grain, peer);
        }

        var claim = await ((IOwnershipStorage)Storage).TryClaimAsync(grain, SiloId, options.DeathTimeout, StoppingToken).ConfigureAwait(false);
        return claim.Epoch ?? throw new GrainOwnedElsewhereException(grain, claim.Owner!);
    }

    /// <summary>The active peer with the fewest activations at its last heartbeat, if it is below this silo's limit.</summary>
    private string? PickPlacementPeer() =>
        peers.Where(p => p.Status == AgentGrains.Runtime.Membership.SiloStates.Active && p.Id != SiloId && p.Activations < options.MaxActivations)
            .OrderBy(p => p.Activations)
            .Select(p => p.Id)
            .FirstOrDefault();

    /// <summary>Sends a call for a grain this node does not host to the silo that owns it, or to one that will claim it.</summary>
    private async Task RouteAsync(GrainId grain, Envelope envelope)
    {
        try
        {
            var accepted = await envelope.Accepted.ConfigureAwait(false);
            if (accepted.Duplicate && accepted.Record.Status != InboxStatus.Pending)
            {
                Completions.Complete(accepted.Record);
                return;
            }

            Signals.Wake(await FindHostAsync(grain).ConfigureAwait(false), grain);
        }
        catch (Exception ex) when (ex is AgentGrainsException or OperationCanceledException)
        {
            Completions.Complete(grain, envelope.IdempotencyKey, new Completion(InboxStatus.Pending, null, null, ex));
        }
    }

    /// <summary>The live owner of <paramref name="grain"/>, else the peer that should claim it.</summary>
    private async Task<string> FindHostAsync(GrainId grain) =>
        await ((IOwnershipStorage)Storage).ReadOwnerAsync(grain, options.DeathTimeout, StoppingToken).ConfigureAwait(false)
        ?? PickPlacementPeer()
        ?? throw new SiloUnavailableException($"No active silo can host grain {grain} right now.");

    /// <summary>Hands calls queued here for a grain another silo owns to that silo.</summary>
    /// <remarks>
    /// The messages are rows in the grain's inbox already (once their inserts commit); the owner only
    /// needs a wake-up to read them, and replies to this silo, where the callers keep waiting.
    /// </remarks>
    internal void Forward(string owner, GrainId grain, Envelope[] envelopes) => _ = ForwardAsync(owner, grain, envelopes);

    private async Task ForwardAsync(string owner, GrainId grain, Envelope[] envelopes)
    {
        foreach (var envelope in envelopes)
        {
            try
            {
                var accepted = await envelope.Accepted.ConfigureAwait(false);
                if (accepted.Duplicate && accepted.Record.Status != InboxStatus.Pending)
                {
                    Completions.Complete(accepted.Record);
                }
            }
            catch (Exception ex) when (ex is AgentGrainsException or OperationCanceledException)
            {
                Completions.Complete(grain, envelope.IdempotencyKey, new Completion(InboxStatus.Pending, null, null, ex));
            }
        }

        Signals.Wake(owner, grain);
    }

    /// <summary>Draining: wakes an active peer for each released grain that still has messages waiting.</summary>
    /// <remarks>
    /// The grains were released (their activation rows deleted), so the peer's claim succeeds at
    /// once, and it replies to the silos whose callers wait, this one included.
    /// </remarks>
    /// <returns>Whether any active peer exists (then callers waiting here can still be answered).</returns>
    private async Task<bool> HandOverAsync(List<GrainId> released, CancellationToken cancellationToken)
    {
        if (IsKilled)
        {
            return false;
        }

        var peers = (await Membership.ReadSilosAsync(options.DeathTimeout, cancellationToken).ConfigureAwait(false))
            .Where(s => s.Status == AgentGrains.Runtime.Membership.SiloStates.Active && s.Id != SiloId)
            .Select(s => s.Id)
            .ToArray();
        if (peers.Length == 0)
        {
            return false;
        }

        var next = 0;
        foreach (var grain in released)
        {
            if ((await Storage.ReadPendingAsync(grain, cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                Signals.Wake(peers[next++ % peers.Length], grain);
            }
        }

        return true;
    }

    /// <summary>Answers waiting callers whose messages completed but whose reply signal was lost.</summary>
    /// <remarks>
    /// A reply is a signal, and signals can be lost (the owner crashed between its commit and its
    /// notify, or a listener was reconnecting). The outcome is in the inbox either way, so the
    /// waiting silo reads it: when a peer is newly seen dead and at every safety scan.
    /// </remarks>
    private async Task CollectLostRepliesAsync()
    {
        foreach (var (grain, key) in Completions.Waiting)
        {
            await CompleteFromInboxAsync(grain, key).ConfigureAwait(false);
        }
    }

    /// <summary>Answers the callers of a message from its stored outcome (a reply too large for a signal).</summary>
    private async Task CompleteFromInboxAsync(GrainId grain, string idempotencyKey)
    {
        try
        {
            if (await Storage.ReadMessageAsync(grain, idempotencyKey, StoppingToken).ConfigureAwait(false) is { Status: not InboxStatus.Pending } record)
            {
                Completions.Complete(record);
            }
        }
        catch (Exception ex) when (ex is AgentGrainsException or OperationCanceledException)
        {
            LogActivationFailed(grain, ex);
        }
    }

    private void Subscribe() => subscription = Signals.Subscribe(SiloId, new SignalHandler(this));

    private void Unsubscribe()
    {
        subscription?.Dispose();
        subscription = null;
    }

    private async Task<object?> InvokeOwnedElsewhereAsync(GrainId grain, GrainMethod method, object?[] arguments, string owner, bool forwarded)
    {
        if (forwarded)
        {
            // Ownership moved while the call travelled; one hop only, the caller may retry.
            throw new SiloUnavailableException($"Grain {grain} moved to silo {owner} while a read-only call was forwarded to {SiloId}; retry the call.");
        }

        return await InvokeReadOnlyOnAsync(owner, grain, method, arguments).ConfigureAwait(false);
    }

    private sealed class SignalHandler(Silo silo) : IClusterSignalHandler
    {
        public void OnWake(GrainId grain)
        {
            if (silo.status == SiloStatus.Active)
            {
                try
                {
                    silo.Directory.GetOrCreate(grain).Pull();
                }
                catch (ArgumentException ex)
                {
                    silo.LogActivationFailed(grain, ex);
                }
            }
        }

        public void OnReply(GrainId grain, string idempotencyKey, Completion? completion)
        {
            if (completion is not null)
            {
                silo.Completions.Complete(grain, idempotencyKey, completion);
            }
            else
            {
                _ = silo.CompleteFromInboxAsync(grain, idempotencyKey);
            }
        }

        public Task<object?> InvokeReadOnlyAsync(GrainId grain, GrainMethod method, object?[] arguments) =>
            silo.status == SiloStatus.Active
                ? silo.InvokeTransientAsync(grain, method, arguments, forwarded: true, CancellationToken.None)
                : Task.FromException<object?>(new SiloUnavailableException($"Silo {silo.SiloId} is {silo.status.ToString().ToLowerInvariant()}."));
    }
}
