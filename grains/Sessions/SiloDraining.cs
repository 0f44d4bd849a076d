using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Grains.Sessions;

/// <summary>Tells the sessions of a silo that it has begun to deactivate them (a graceful stop or a kill), so they answer the readers waiting on them.</summary>
/// <remarks>
/// Orleans deactivates an activation only once the requests it is running have returned, and a
/// session's long polls (<see cref="SessionReadModel"/>) end on a change or their own timeout: a
/// reader waiting on a run whose driver the stop has stalled would hold the silo's stop up for as
/// long as it asked to wait. The token is cancelled in the stage where Orleans starts deactivating
/// the silo's grains, alongside it, not earlier: until then the session still serves its readers.
/// </remarks>
public sealed class SiloDraining : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource draining = new();

    /// <summary>Cancelled when the silo starts deactivating its grains.</summary>
    public CancellationToken Token => draining.Token;

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(SiloDraining),
            ServiceLifecycleStage.BecomeActive,
            static _ => Task.CompletedTask,
            _ =>
            {
                draining.Cancel();
                return Task.CompletedTask;
            });

    /// <inheritdoc />
    public void Dispose() => draining.Dispose();
}
