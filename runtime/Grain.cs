using AgentGrains.Runtime.Activations;
using AgentGrains.Runtime.Reminders;

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

    /// <summary>The id of the silo this activation runs on (as Orleans' <c>Grain.RuntimeIdentity</c>): for logs and diagnostics.</summary>
    protected string RuntimeIdentity => activation.SiloId;

    /// <summary>A factory for calling other grains from this one.</summary>
    protected IGrainFactory GrainFactory => activation.GrainFactory;

    /// <summary>Called once when the activation starts, after its persistent state has been read.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called once when the activation stops gracefully (idle collection, silo shutdown).</summary>
    /// <remarks>Not called when a silo dies; never rely on it for durability.</remarks>
    public virtual Task OnDeactivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Asks the runtime to deactivate this grain once the current turn ends.</summary>
    protected void DeactivateOnIdle() => activation.RequestDeactivation();

    /// <summary>Queues a turn for this grain: <paramref name="turn"/> runs exclusively, like a durable message's turn, and what it stages commits at its end.</summary>
    /// <param name="turn">The grain code to run in the turn.</param>
    /// <returns>A task that completes after the turn's commit; it fails with the delegate's exception (nothing it staged is written) or with the commit's.</returns>
    /// <remarks>
    /// <para>This is how grain code running outside turns (a background task doing slow I/O between
    /// steps) records results durably while the grain keeps processing its messages: the turn is
    /// queued behind the work already queued, runs on the grain's scheduler (read-only calls may
    /// interleave at its awaits), and its <c>WriteStateAsync</c>, log appends and reminder changes
    /// commit in one transaction, as a message turn's do, but without an inbox message.</para>
    /// <para>The turn is bound to this instance: if the activation is reset (a turn failed) or
    /// deactivated before the turn runs, the task fails (<see cref="InvalidOperationException"/> or
    /// <see cref="SiloUnavailableException"/>) and the delegate never runs. A queued turn is not
    /// durable: after a crash it is gone, so a driver must be able to resume from what is stored.</para>
    /// <para>It may be called from any thread. Called inside a turn it runs after that turn has
    /// committed, which is the way to act "after commit"; but never <em>await</em> it inside a turn
    /// (or OnActivateAsync): the queued turn waits for the current one, so that would deadlock.</para>
    /// </remarks>
    protected Task RunTurnAsync(Func<Task> turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return activation.QueueTurn<object?>(this, async () =>
        {
            await turn();
            return null;
        });
    }

    /// <summary>Queues a turn for this grain that produces a result; see <see cref="RunTurnAsync(Func{Task})"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="turn">The grain code to run in the turn.</param>
    /// <returns>The delegate's result, once the turn has committed.</returns>
    /// <remarks>Never await it inside a turn of the same grain: that deadlocks.</remarks>
    protected Task<T> RunTurnAsync<T>(Func<Task<T>> turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return activation.QueueTurn(this, turn);
    }

    /// <summary>Runs <paramref name="callback"/> once the current turn has committed, on the grain's scheduler, before the turn's caller is answered.</summary>
    /// <remarks>
    /// For showing readers what is now durable (a committed view, waking waiters). Not called if the
    /// turn throws or its commit fails. Only in the grain's own turn (a durable method, a
    /// <see cref="RunTurnAsync(Func{Task})"/> turn); a read-only call gets <see cref="InvalidOperationException"/>.
    /// </remarks>
    protected void AfterCommit(Action callback) => activation.AfterCommit(callback);

    /// <summary>Registers a periodic reminder, or replaces the reminder of that name: first due after <paramref name="dueTime"/>, then every <paramref name="period"/>.</summary>
    /// <param name="reminderName">The reminder's name, unique within this grain.</param>
    /// <param name="dueTime">How long from now (the silo's clock) until the first tick.</param>
    /// <param name="period">The time between ticks (at least 1 ms; periods under a minute are allowed).</param>
    /// <returns>A handle to the reminder.</returns>
    /// <remarks>
    /// <para>Staged in the current turn (a durable method, a RunTurnAsync turn) and committed with it:
    /// if the turn throws, nothing changes. In OnActivateAsync it commits at once, like a state write
    /// there. A read-only call cannot change reminders (<see cref="InvalidOperationException"/>).</para>
    /// <para>Ticks arrive as durable messages through <see cref="IRemindable.ReceiveReminder"/>, which the
    /// grain class must implement. A silo polls for due reminders every <c>Silo:ReminderPollInterval</c>,
    /// so ticks arrive up to that much late; ticks missed while no silo ran fire once.</para>
    /// </remarks>
    protected Task<IGrainReminder> RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return activation.RegisterReminder(reminderName, dueTime, period);
    }

    /// <summary>Registers a one-shot reminder, or replaces the reminder of that name: one tick after <paramref name="dueTime"/>, then it is gone.</summary>
    /// <param name="reminderName">The reminder's name, unique within this grain.</param>
    /// <param name="dueTime">How long from now (the silo's clock) until the tick.</param>
    /// <returns>A handle to the reminder.</returns>
    /// <remarks>Staged and committed like <see cref="RegisterOrUpdateReminder(string, TimeSpan, TimeSpan)"/>.</remarks>
    protected Task<IGrainReminder> RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime) =>
        activation.RegisterReminder(reminderName, dueTime, TimeSpan.Zero);

    /// <summary>Removes a reminder; staged in the current turn and committed with it.</summary>
    /// <param name="reminder">The reminder, from a registration or <see cref="GetReminder"/>.</param>
    /// <returns>A completed task in a turn; in OnActivateAsync, the commit.</returns>
    protected Task UnregisterReminder(IGrainReminder reminder)
    {
        ArgumentNullException.ThrowIfNull(reminder);
        return activation.UnregisterReminder(reminder.ReminderName);
    }

    /// <summary>The reminder of that name as this turn sees it (including its own staged changes), or null.</summary>
    /// <param name="reminderName">The reminder's name.</param>
    /// <returns>The reminder, or null if none is registered.</returns>
    protected Task<IGrainReminder?> GetReminder(string reminderName) => activation.GetReminder(reminderName);
}
