using System.Collections.Concurrent;
using AgentGrains.Runtime.Activations;
using AgentGrains.Runtime.Hosting;
using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;
using AgentGrains.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Runtime;

/// <summary>A runtime node: it activates grains, runs their turns and delivers calls to them.</summary>
/// <remarks>
/// The silo is a hosted service. Starting it migrates the schema and begins the maintenance
/// loop (recovery of pending messages, idle deactivation). Stopping it lets each turn in flight
/// finish and commit, deactivates every grain and releases its ownership; messages still queued
/// stay pending in the inbox and are processed after the next start.
/// </remarks>
public sealed partial class Silo : IHostedService, IAsyncDisposable
{
    private readonly SiloOptions options;
    private readonly ILogger<Silo> logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly CancellationTokenSource draining = new();
    private readonly ConcurrentDictionary<GrainId, Task> deactivations = new();
    private Task? maintenance;
    private readonly Lock stopGate = new();
    private Task? stop;
    private volatile SiloStatus status = SiloStatus.Created;

    internal Silo(
        IServiceProvider services,
        IOptions<SiloOptions> options,
        IGrainStorage storage,
        Cluster.IClusterSignals signals,
        IEnumerable<GrainRegistration> registrations,
        TimeProvider timeProvider,
        ILogger<Silo> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.logger = logger;
        Services = services;
        Storage = storage;
        Signals = signals;
        TimeProvider = timeProvider;
        SiloId = string.IsNullOrWhiteSpace(this.options.SiloId)
            ? $"{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..8]}"
            : this.options.SiloId;
        Directory = new ActivationDirectory(this, registrations.ToDictionary(r => r.Interface.GrainType, StringComparer.Ordinal));
        GrainFactory = new GrainFactory(new Invoker(this));
    }

    /// <summary>This silo's id.</summary>
    public string SiloId { get; }

    /// <summary>Where the silo is in its life.</summary>
    public SiloStatus Status => status;

    /// <summary>A factory whose grain references deliver calls through this silo.</summary>
    public IGrainFactory GrainFactory { get; }

    /// <summary>The number of grains active in this silo.</summary>
    public int ActivationCount => Directory.Count;

    internal IServiceProvider Services { get; }

    internal IGrainStorage Storage { get; }

    internal TimeProvider TimeProvider { get; }

    internal ActivationDirectory Directory { get; }

    internal CompletionRegistry Completions { get; } = new();

    internal CancellationToken StoppingToken => stopping.Token;

    /// <summary>Cancelled when the silo starts stopping: ends retry pauses at once, while turns in flight (which see <see cref="StoppingToken"/>) still finish.</summary>
    internal CancellationToken DrainingToken => draining.Token;

    internal bool IsKilled { get; private set; }

    /// <summary>Test seam: runs before each durable turn (fault injection).</summary>
    internal Func<GrainId, CancellationToken, Task>? TurnHook { get; set; }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        status = SiloStatus.Starting;
        await Storage.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await JoinAsync(cancellationToken).ConfigureAwait(false);
        Subscribe();
        status = SiloStatus.Active;
        LogStarted(logger, SiloId);
        maintenance = Task.Run(() => MaintainAsync(stopping.Token), CancellationToken.None);
        StartReminderPoller();
    }

    /// <inheritdoc />
    /// <remarks>Every caller (the host, <see cref="DisposeAsync"/>, a second stop) awaits the one stop in progress.</remarks>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (stopGate)
        {
            if (status == SiloStatus.Created)
            {
                status = SiloStatus.Stopped;
            }

            return stop ??= status == SiloStatus.Stopped ? Task.CompletedTask : StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        status = SiloStatus.Stopping;
        await draining.CancelAsync().ConfigureAwait(false);
        LogStopping(logger, SiloId, Directory.Count);
        await TrySetMembershipStatusAsync(AgentGrains.Runtime.Membership.SiloStates.Draining).ConfigureAwait(false);
        var closing = new List<Task>();
        var released = new List<GrainId>();
        foreach (var activation in Directory.All.ToList())
        {
            if (activation.TryClose(idleBefore: null))
            {
                closing.Add(activation.DeactivateAsync(cancellationToken));
                released.Add(activation.GrainId);
            }
        }

        try
        {
            await Task.WhenAll(closing).ConfigureAwait(false);
            if (await HandOverAsync(released, cancellationToken).ConfigureAwait(false))
            {
                // Callers here wait for peers' replies (handed-over and forwarded calls); without
                // peers nobody could answer them before the next start.
                await Completions.WaitUntilIdleAsync(options.ResponseTimeout, TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or AgentGrainsException)
        {
            LogStopIncomplete(logger, SiloId, ex);
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        Unsubscribe();
        Completions.FailAll(new SiloUnavailableException($"Silo {SiloId} stopped; the call is kept in the inbox and runs when the grain is next active. Retry with the same idempotency key to get its result."));
        await WaitForLoopsAsync().ConfigureAwait(false);
        await TrySetMembershipStatusAsync(AgentGrains.Runtime.Membership.SiloStates.Dead).ConfigureAwait(false);
        await Storage.DisposeAsync().ConfigureAwait(false);
        status = SiloStatus.Stopped;
        LogStopped(logger, SiloId);
    }

    /// <summary>Stops the silo as a crash would: no turn finishes, nothing is released or written again.</summary>
    internal Task KillAsync()
    {
        lock (stopGate)
        {
            return stop ??= KillOnceAsync();
        }
    }

    private async Task KillOnceAsync()
    {
        IsKilled = true;
        status = SiloStatus.Stopping;
        Unsubscribe();
        await draining.CancelAsync().ConfigureAwait(false);
        await stopping.CancelAsync().ConfigureAwait(false);
        Completions.FailAll(new SiloUnavailableException($"Silo {SiloId} was killed."));
        await WaitForLoopsAsync().ConfigureAwait(false);
        await Storage.DisposeAsync().ConfigureAwait(false);
        status = SiloStatus.Stopped;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        stopping.Dispose();
        draining.Dispose();
        http?.Dispose();
    }

    private async Task WaitForLoopsAsync()
    {
        // A fence runs on the heartbeat loop itself; it must not wait for itself.
        foreach (var loop in new[] { maintenance, reminderPoller, fencing ? null : heartbeats })
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(false);
            }
        }
    }

    private async Task TrySetMembershipStatusAsync(string status)
    {
        try
        {
            await Membership.SetStatusAsync(SiloId, status, CancellationToken.None).ConfigureAwait(false);
        }
        catch (AgentGrainsException ex)
        {
            // Best effort: without it the others declare this silo dead after the death timeout.
            LogStopIncomplete(logger, SiloId, ex);
        }
    }

    internal void Deactivate(Activation activation)
    {
        if (activation.TryClose(idleBefore: null))
        {
            TrackDeactivation(activation);
        }
    }

    private void TrackDeactivation(Activation activation)
    {
        var task = activation.DeactivateAsync(StoppingToken);
        deactivations[activation.GrainId] = task;
        _ = task.ContinueWith(
            (t, state) =>
            {
                var (silo, grain) = ((Silo, GrainId))state!;
                silo.deactivations.TryRemove(new KeyValuePair<GrainId, Task>(grain, t));
                if (t.Exception is { } error)
                {
                    silo.LogDeactivationFailed(grain, error.GetBaseException());
                }
            },
            (this, activation.GrainId),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    internal async Task WaitForPreviousDeactivationAsync(GrainId grain)
    {
        if (deactivations.TryGetValue(grain, out var previous))
        {
            try
            {
                await previous.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Logged by Deactivate; the new activation claims a new epoch either way.
            }
        }
    }

    internal void Repost(GrainId grain, Envelope[] envelopes)
    {
        if (status == SiloStatus.Stopping && !IsKilled)
        {
            // Draining: the messages are in the inbox and are handed over with the grain; the
            // callers here keep waiting for the new owner's reply.
            return;
        }

        foreach (var envelope in envelopes)
        {
            if (status != SiloStatus.Active || !TryPost(grain, envelope))
            {
                Completions.Complete(grain, envelope.IdempotencyKey, new Completion(
                    InboxStatus.Pending, null, null, new SiloUnavailableException($"Silo {SiloId} is stopping; the call is kept in the inbox.")));
            }
        }
    }

    private bool TryPost(GrainId grain, Envelope envelope)
    {
        while (status == SiloStatus.Active)
        {
            if (Directory.GetOrCreate(grain).TryPost(envelope))
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Invoker(Silo silo) : IGrainCallInvoker
    {
        public Task<object?> InvokeAsync(GrainId grain, GrainMethod method, object?[] arguments) => silo.InvokeAsync(grain, method, arguments);
    }
}
