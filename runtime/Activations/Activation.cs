using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Persistence;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Activations;

/// <summary>One grain alive in this silo: its instance, its mailbox and its turn scheduler.</summary>
/// <remarks>
/// <para>Durable messages run one at a time in queue order on a worker that exists only while
/// there is work (an idle activation holds no task or thread). Grain code runs on the
/// activation's exclusive scheduler, so it is single-threaded even when a read-only call
/// interleaves with a turn at an await.</para>
/// <para>Before its first message the activation claims ownership (a new epoch), reads its
/// states and logs, runs <see cref="Grain.OnActivateAsync"/> and reads the messages left
/// pending in its inbox (by a crash or a failed commit), which it processes first.</para>
/// </remarks>
internal sealed partial class Activation
{
    [ThreadStatic]
    private static Activation? constructing;

    // The activation whose turn (durable message, queued turn, OnActivateAsync) the current flow
    // belongs to; null in read-only calls. Staging reminders checks it, so a read-only call that
    // interleaves with a turn at an await cannot stage into that turn.
    private static readonly AsyncLocal<Activation?> CurrentTurn = new();

    private readonly Silo silo;
    private readonly GrainRegistration registration;
    private readonly object gate = new();
    // Envelopes (durable messages not yet accepted) and LocalTurns (RunTurnAsync), in the order queued.
    private readonly Queue<object> queue = new();
    // Messages read from the inbox (at activation, or pulled after a wake-up), processed before envelopes.
    private readonly Queue<InboxRecord> recovered = new();
    // Ids already queued from the inbox or processed recently: an envelope or a later pull naming
    // one of them must not run it again. (The commit's "still pending" check is the last guard.)
    private readonly HashSet<long> knownIds = [];
    private readonly Queue<long> processedIds = new();
    private bool pullRequested;
    private readonly List<IStagedStorage> storages = [];
    private readonly List<IStagedStorage> staged = [];
    private TaskScheduler? scheduler;
    private Grain? grain;
    private Task? initialization;
    private TaskCompletionSource? stopped;
    private bool running;
    private bool closed;
    private bool deactivationRequested;
    private bool activating;
    private int transientCalls;
    private long lastActive;

    public Activation(Silo silo, GrainId grainId, GrainRegistration registration)
    {
        this.silo = silo;
        this.registration = registration;
        GrainId = grainId;
        lastActive = silo.TimeProvider.GetTimestamp();
    }

    /// <summary>The activation whose grain is being constructed on this thread.</summary>
    public static Activation? Constructing => constructing;

    public GrainId GrainId { get; }

    public IGrainFactory GrainFactory => silo.GrainFactory;

    public string SiloId => silo.SiloId;

    public IGrainStorage Storage => silo.Storage;

    /// <summary>The ownership epoch every write of this activation is conditioned on.</summary>
    public long Epoch { get; private set; }

    /// <summary>Whether a durable turn is running (writes are staged, not committed at once).</summary>
    public bool InTurn { get; private set; }

    /// <summary>Monotonic timestamp of the last call or turn.</summary>
    public long LastActive => Volatile.Read(ref lastActive);

    private TaskScheduler Scheduler => scheduler ??= new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, 1).ExclusiveScheduler;

    /// <summary>Queues a durable message; false if the activation has closed (get a new one and retry).</summary>
    public bool TryPost(Envelope envelope)
    {
        lock (gate)
        {
            if (closed)
            {
                return false;
            }

            queue.Enqueue(envelope);
            StartWorkerIfIdle();
            return true;
        }
    }

    /// <summary>Makes the worker read the grain's pending messages from the inbox (sent by other silos, or left by a crash).</summary>
    public void Pull()
    {
        lock (gate)
        {
            if (!closed)
            {
                pullRequested = true;
                StartWorkerIfIdle();
            }
        }
    }

    /// <summary>Enters a transient (read-only) call; false if the activation has closed.</summary>
    public bool TryEnterTransient()
    {
        lock (gate)
        {
            if (closed)
            {
                return false;
            }

            transientCalls++;
            return true;
        }
    }

    /// <summary>Runs a read-only call entered with <see cref="TryEnterTransient"/>.</summary>
    public async Task<object?> InvokeTransientAsync(Proxies.GrainMethod method, object?[] arguments)
    {
        try
        {
            while (true)
            {
                await EnsureInitializedAsync().ConfigureAwait(false);
                // A failed turn may have reset the activation between the two lines; initialize again.
                if (grain is { } instance)
                {
                    return await RunOnSchedulerAsync(instance, g => method.Invoke(g, arguments)).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            lock (gate)
            {
                transientCalls--;
                Volatile.Write(ref lastActive, silo.TimeProvider.GetTimestamp());
            }
        }
    }

    /// <summary>Asks for deactivation after the current turn (<see cref="Grain"/>.DeactivateOnIdle).</summary>
    public void RequestDeactivation() => deactivationRequested = true;

    /// <summary>Closes the activation if it has been idle since <paramref name="idleBefore"/> (or unconditionally when null).</summary>
    /// <returns>Whether this call closed it; the caller then runs <see cref="DeactivateAsync"/>.</returns>
    public bool TryClose(long? idleBefore)
    {
        LocalTurn[] abandoned;
        lock (gate)
        {
            if (closed)
            {
                return false;
            }

            if (idleBefore is { } cutoff && (running || queue.Count > 0 || transientCalls > 0 || LastActive > cutoff))
            {
                return false;
            }

            closed = true;
            silo.Directory.Remove(this);
            if (running)
            {
                stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            abandoned = TakeLocalTurns();
        }

        FailLocalTurns(abandoned, Closed());
        return true;
    }

    /// <summary>Queues a turn for <paramref name="instance"/> (<see cref="Grain"/>.RunTurnAsync); its task completes after the turn's commit.</summary>
    public Task<T> QueueTurn<T>(Grain instance, Func<Task<T>> body)
    {
        var turn = new LocalTurn<T>(instance, body);
        lock (gate)
        {
            if (closed || silo.IsKilled)
            {
                turn.Fail(Closed());
            }
            else if (!ReferenceEquals(grain, instance))
            {
                turn.Fail(Stale());
            }
            else
            {
                queue.Enqueue(turn);
                StartWorkerIfIdle();
            }
        }

        return turn.Task;
    }

    /// <summary>After <see cref="TryClose"/>: waits for the turn in flight, runs OnDeactivateAsync and releases ownership.</summary>
    /// <remarks>Messages still queued stay pending in the inbox; their callers get <see cref="SiloUnavailableException"/> only if the silo stops.</remarks>
    public async Task DeactivateAsync(CancellationToken cancellationToken)
    {
        if (stopped is { } worker)
        {
            await worker.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (initialization is not { IsCompletedSuccessfully: true } || grain is null)
        {
            return;
        }

        try
        {
            await RunOnSchedulerAsync(async g =>
            {
                await g.OnDeactivateAsync(cancellationToken);
                return null;
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            silo.LogDeactivationFailed(GrainId, ex);
        }

        if (!silo.IsKilled)
        {
            await Storage.ReleaseAsync(GrainId, Epoch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Remembers a state or log with staged writes for the next commit.</summary>
    public void Stage(IStagedStorage storage)
    {
        if (!staged.Contains(storage))
        {
            staged.Add(storage);
        }
    }

    /// <summary>Commits staged writes outside a turn (from OnActivateAsync or a read-only call).</summary>
    public async Task CommitOutsideTurnAsync(CancellationToken cancellationToken)
    {
        await CommitAsync(completion: null, cancellationToken).ConfigureAwait(false);
    }

    private void StartWorkerIfIdle()
    {
        Volatile.Write(ref lastActive, silo.TimeProvider.GetTimestamp());
        if (running)
        {
            return;
        }

        running = true;
        // No ExecutionContext flows from the caller: the worker is the grain's, not the caller's
        // (the caller's ambient idempotency key or trace must not leak into other turns).
        ThreadPool.UnsafeQueueUserWorkItem(static a => _ = a.RunAsync(), this, preferLocal: false);
    }

    private Task EnsureInitializedAsync()
    {
        lock (gate)
        {
            return initialization ??= InitializeOrFailAsync();
        }
    }

    private async Task InitializeOrFailAsync()
    {
        try
        {
            await InitializeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Whoever triggered it (a turn or a read-only call), a failed activation leaves the
            // directory, so the next call starts over (and finds the current owner).
            FailActivation(ex);
            throw;
        }
    }

    private async Task InitializeAsync()
    {
        // Yield so a caller holding the gate never runs initialization inline.
        await Task.Yield();
        await silo.WaitForPreviousDeactivationAsync(GrainId).ConfigureAwait(false);
        Epoch = await silo.ClaimAsync(GrainId).ConfigureAwait(false);
        storages.Clear();
        staged.Clear();
        constructing = this;
        try
        {
            grain = registration.Create(silo.Services, this, storages);
        }
        finally
        {
            constructing = null;
        }

        foreach (var storage in storages)
        {
            await storage.LoadAsync(silo.StoppingToken).ConfigureAwait(false);
        }

        activating = true;
        try
        {
            // Like a turn: reminders may be registered here (they commit at once, as state writes do).
            await RunOnSchedulerAsync(Current(), async g =>
            {
                await g.OnActivateAsync(silo.StoppingToken);
                return null;
            }, turn: true).ConfigureAwait(false);
        }
        finally
        {
            activating = false;
        }

        lock (gate)
        {
            recovered.Clear();
            knownIds.Clear();
            processedIds.Clear();
        }

        await PullPendingAsync().ConfigureAwait(false);
    }

    /// <summary>Queues the inbox's pending messages that this activation has not queued or processed yet.</summary>
    private async Task PullPendingAsync()
    {
        var pending = await Storage.ReadPendingAsync(GrainId, silo.StoppingToken).ConfigureAwait(false);
        lock (gate)
        {
            foreach (var record in pending)
            {
                if (knownIds.Add(record.Id))
                {
                    recovered.Enqueue(record);
                }
            }

            // A read-only call may have activated the grain: pending messages still need a worker.
            if (recovered.Count > 0 && !closed)
            {
                StartWorkerIfIdle();
            }
        }
    }

    /// <summary>Remembers a processed message so a late envelope or pull for it is skipped.</summary>
    private void MarkProcessed(long id)
    {
        const int Remembered = 4096;
        lock (gate)
        {
            knownIds.Add(id);
            processedIds.Enqueue(id);
            if (processedIds.Count > Remembered)
            {
                knownIds.Remove(processedIds.Dequeue());
            }
        }
    }

    private Task<object?> RunOnSchedulerAsync(Func<Grain, Task<object?>> body) =>
        RunOnSchedulerAsync(grain ?? throw new InvalidOperationException($"Grain {GrainId} is not initialized."), body);

    /// <param name="instance">The grain.</param>
    /// <param name="body">The grain code.</param>
    /// <param name="turn">Whether the code is a turn (may stage writes) rather than a read-only call or a deactivation.</param>
    private Task<object?> RunOnSchedulerAsync(Grain instance, Func<Grain, Task<object?>> body, bool turn = false)
    {
        return Task.Factory.StartNew(
            () =>
            {
                CurrentTurn.Value = turn ? this : null;
                return body(instance);
            },
            CancellationToken.None,
            TaskCreationOptions.DenyChildAttach,
            Scheduler).Unwrap();
    }

    /// <summary>Whether the calling code is this activation's current turn, on its scheduler (not a read-only call, not other threads).</summary>
    private bool InOwnTurn => (InTurn || activating) && CurrentTurn.Value == this && TaskScheduler.Current == Scheduler;

    /// <summary>Removes the queued local turns (under the gate); fail them outside it.</summary>
    private LocalTurn[] TakeLocalTurns()
    {
        if (!queue.Any(item => item is LocalTurn))
        {
            return [];
        }

        var turns = queue.OfType<LocalTurn>().ToArray();
        var envelopes = queue.OfType<Envelope>().ToArray();
        queue.Clear();
        foreach (var envelope in envelopes)
        {
            queue.Enqueue(envelope);
        }

        return turns;
    }

    private static void FailLocalTurns(LocalTurn[] turns, Exception error)
    {
        foreach (var turn in turns)
        {
            turn.Fail(error);
        }
    }

    private SiloUnavailableException Closed() =>
        new($"Grain {GrainId} was deactivated (or its silo stopped) before a turn queued with RunTurnAsync could run; the turn did not run.");

    private InvalidOperationException Stale() =>
        new($"Grain {GrainId} was reset (a turn failed) or deactivated after this instance queued a turn with RunTurnAsync; the turn belongs to the discarded instance and did not run.");
}
