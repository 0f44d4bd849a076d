using AgentGrains.Runtime.Cluster;
using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime;

public sealed partial class Silo
{
    private IDisposable? subscription;

    internal IClusterSignals Signals { get; }

    /// <summary>Claims a grain for this silo, or names the live silo that owns it.</summary>
    /// <exception cref="GrainOwnedElsewhereException">Another live silo owns the grain.</exception>
    internal async Task<long> ClaimAsync(GrainId grain)
    {
        var claim = await ((IOwnershipStorage)Storage).TryClaimAsync(grain, SiloId, options.DeathTimeout, StoppingToken).ConfigureAwait(false);
        return claim.Epoch ?? throw new GrainOwnedElsewhereException(grain, claim.Owner!);
    }

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

        return await Signals.InvokeReadOnlyAsync(owner, grain, method, arguments).ConfigureAwait(false);
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

        public void OnReply(GrainId grain, string idempotencyKey, Completion completion) =>
            silo.Completions.Complete(grain, idempotencyKey, completion);

        public Task<object?> InvokeReadOnlyAsync(GrainId grain, GrainMethod method, object?[] arguments) =>
            silo.status == SiloStatus.Active
                ? silo.InvokeTransientAsync(grain, method, arguments, forwarded: true, CancellationToken.None)
                : Task.FromException<object?>(new SiloUnavailableException($"Silo {silo.SiloId} is {silo.status.ToString().ToLowerInvariant()}."));
    }
}
