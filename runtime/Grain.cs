using AgentGrains.Runtime.Activations;

namespace AgentGrains.Runtime;

/// <summary>Base class of grain implementations.</summary>
/// <remarks>
/// A grain runs turn by turn on a single-threaded scheduler of its activation: durable calls
/// one at a time in inbox order, read-only calls interleaved at await points. Awaiting with
/// <c>ConfigureAwait(false)</c> leaves that scheduler, so grain code never does.
/// </remarks>
public abstract class Grain
{
    private readonly Activation activation;

    /// <summary>Binds the grain to the activation being constructed.</summary>
    protected Grain()
    {
        activation = Activation.Constructing
            ?? throw new InvalidOperationException("Grains are created by the runtime; use IGrainFactory.GetGrain to reach one.");
    }

    /// <summary>This grain's identity.</summary>
    public GrainId GrainId => activation.GrainId;

    /// <summary>The ownership epoch this activation runs under (diagnostics and tests).</summary>
    internal long ActivationEpoch => activation.Epoch;

    /// <summary>The id of the silo running this activation (diagnostics and tests).</summary>
    internal string SiloId => activation.SiloId;

    /// <summary>A factory for calling other grains from this one.</summary>
    protected IGrainFactory GrainFactory => activation.GrainFactory;

    /// <summary>Called once when the activation starts, after its persistent state has been read.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called once when the activation stops gracefully (idle collection, silo shutdown).</summary>
    /// <remarks>Not called when a silo dies; never rely on it for durability.</remarks>
    public virtual Task OnDeactivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Asks the runtime to deactivate this grain once the current turn ends.</summary>
    protected void DeactivateOnIdle() => activation.RequestDeactivation();
}
