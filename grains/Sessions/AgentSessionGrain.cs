using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Telemetry;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.GrainInterfaces.Tenants;
using AgentGrains.Storage.Journal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;

namespace AgentGrains.Grains.Sessions;

/// <summary>One conversation with one agent, as an Orleans grain: takes its messages, commits each change to the session journal, handles its reminders.</summary>
/// <remarks>
/// <para><b>A thin shell.</b> Every decision about runs is made by a <see cref="RunEngine"/> (a plain
/// class). The grain applies what the engine asks for (<see cref="SessionEffects"/>: reminders, the
/// driver, cancellations), commits the state with the appended rows and the message's idempotency
/// record as one step of the session's journal (<see cref="ISessionJournal"/>), then publishes the
/// committed state to readers (<see cref="SessionReadModel"/>) before the caller is answered.</para>
/// <para><b>Exactly once.</b> A message sent with an idempotency key (<see cref="IdempotencyKey"/>)
/// is recorded in the commit that accepts it; a retry with the key gets the first outcome. A commit
/// is conditioned on the journal version this activation read, so a second or stale activation
/// (Orleans' directory may briefly allow one while membership changes) cannot commit: its commit is
/// refused, it stops its driver and deactivates, and its caller gets a transient
/// <see cref="SessionUnavailableException"/> to retry with the same key.</para>
/// <para><b>Steps.</b> The driver (a task of the activation) makes the slow calls outside any turn
/// and journals each outcome in a turn of its own (a one-shot grain timer, which Orleans runs like a
/// request, never alongside one), so the session answers reads, cancellation and approvals between
/// steps. Reads interleave (<c>[AlwaysInterleave]</c>) and see only what has committed.</para>
/// </remarks>
[GrainType("agent-session")]
public sealed partial class AgentSessionGrain : Grain, IAgentSessionGrain, IRemindable, IDisposable
{
    private static readonly JsonSerializerOptions OutcomeJson = new(JsonSerializerDefaults.Web);

    private readonly ISessionJournal journal;
    private readonly AgentCatalog catalog;
    private readonly ToolRegistry tools;
    private readonly IChatClient model;
    private readonly AgentMemory memory;
    private readonly IOptionsMonitor<TenantsOptions> tenants;
    private readonly ModelOptions modelOptions;
    private readonly DelegationOptions delegation;
    private readonly TimeProvider timeProvider;
    private readonly TimeSpan minimumReminderPeriod;
    private readonly ILogger<AgentSessionGrain> logger;
    private readonly SiloDraining draining;
    private readonly CancellationTokenSource deactivating = new();
    // The reminders this activation registered, with the period it gave each; null while there are none.
    private Dictionary<string, (IGrainReminder Reminder, TimeSpan Period)>? reminders;

    private (string? Tenant, string Id)? identity;
    private SessionJournalLog? log;
    private RunEngine? engine;
    private StepCalls? calls;
    private SessionReadModel? reads;
    private string? stale;
    // Whether this activation counts in AgentTelemetry.ActiveSessions (it loaded).
    private bool counted;

    /// <summary>Created by Orleans for each activation.</summary>
    public AgentSessionGrain(
        ISessionJournal journal,
        AgentCatalog catalog,
        ToolRegistry tools,
        IChatClient model,
        AgentMemory memory,
        IOptionsMonitor<TenantsOptions> tenants,
        IOptions<ModelOptions> modelOptions,
        IOptions<DelegationOptions> delegation,
        IOptions<ReminderOptions> reminderOptions,
        TimeProvider timeProvider,
        ILogger<AgentSessionGrain> logger,
        SiloDraining draining)
    {
        ArgumentNullException.ThrowIfNull(modelOptions);
        ArgumentNullException.ThrowIfNull(delegation);
        ArgumentNullException.ThrowIfNull(reminderOptions);
        this.journal = journal;
        this.catalog = catalog;
        this.tools = tools;
        this.model = model;
        this.memory = memory;
        this.tenants = tenants;
        this.modelOptions = modelOptions.Value;
        this.delegation = delegation.Value;
        this.timeProvider = timeProvider;
        minimumReminderPeriod = reminderOptions.Value.MinimumReminderPeriod;
        this.logger = logger;
        this.draining = draining;
    }

    // The session's id as its callers know it, and its tenant (null for none): the grain key is {tenant}/{id}.
    private string SessionId => Identity.Id;

    private string? Tenant => Identity.Tenant;

    private (string? Tenant, string Id) Identity => identity ??= TenantKeys.Split(this.GetPrimaryKeyString());

    // Cancelled when the activation goes away: abandons in-flight model and tool calls (the run
    // resumes from its journal on the next activation) and answers waiting readers.
    private CancellationToken Stopping => deactivating.Token;

    private SessionJournalLog Log => log ?? throw new InvalidOperationException("The session is not activated.");

    private RunEngine Engine => engine ?? throw new InvalidOperationException("The session is not activated.");

    private StepCalls Calls => calls ?? throw new InvalidOperationException("The session is not activated.");

    private SessionReadModel Reads => reads ?? throw new InvalidOperationException("The session is not activated.");

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Keyed by the grain id (agent-session/{id}), as the project has always stored sessions.
            log = await SessionJournalLog.LoadAsync(journal, this.GetGrainId().ToString(), cancellationToken);
        }
        catch (Storage.StorageException ex) when (ex.IsTransient)
        {
            // The database is unreachable for a moment: the caller may retry (with its key) and reach
            // a new activation once it is back; a row that cannot be read stays a loud, permanent error.
            throw new SessionUnavailableException($"Session '{SessionId}' could not be loaded: {ex.Message}");
        }
        AgentTelemetry.SessionActivated();
        counted = true;
        engine = new RunEngine(SessionId, () => log.State, log, catalog, tools, modelOptions, delegation, timeProvider, logger, RuntimeIdentity, tenants.CurrentValue.For(Tenant).DeniedTools);
        calls = new StepCalls(SessionId, Tenant, engine, tools, model, memory, timeProvider, logger);
        reads = new SessionReadModel(SessionId, log, timeProvider, Stopping, draining.Token);
        reads.Publish(log.State, log.Finished);
        // A running run continues from its journal: no driver survives its activation.
        engine.Activate();
        await ApplyAsync();
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        StopDriver();
        deactivating.Cancel();
        if (runSpan is not null)
        {
            // The run goes on elsewhere or later (its journal has it): this activation's span of it ends here.
            EndRunSpan(Log.State.Active?.Status ?? RunStatus.Running, $"this activation stopped driving it ({reason.ReasonCode})");
        }

        if (counted)
        {
            counted = false;
            AgentTelemetry.SessionDeactivated();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => deactivating.Dispose();

    /// <inheritdoc />
    public Task<SessionInfo> CreateAsync(string agent, string? userId = null, string? owner = null) =>
        AcceptAsync(nameof(CreateAsync), userId is null && owner is null ? agent : $"{agent}\n{userId}\n{owner}", () => Engine.Create(agent, userId, owner));

    /// <inheritdoc />
    public Task<RunSubmission> SubmitAsync(string text)
    {
        var traceParent = AgentTelemetry.CaptureParent();
        return AcceptAsync(nameof(SubmitAsync), text, () => Engine.Submit(text, traceParent));
    }

    /// <inheritdoc />
    public async Task<SendResult> SubmitAndWaitAsync(string text, TimeSpan wait)
    {
        ThrowIfStale();
        // This call interleaves (it waits like a read): the message is accepted in a turn of its own,
        // under the key the call came with, and fingerprinted as SubmitAsync is.
        var key = IdempotencyKey.Current;
        // The call's trace context, taken here: the turn that accepts the message runs outside this call's activity.
        var traceParent = AgentTelemetry.CaptureParent();
        RunSubmission submission;
        try
        {
            submission = await InTurnAsync(() => AcceptAsync(key, nameof(SubmitAsync), text, () => Engine.Submit(text, traceParent)));
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
        {
            throw new SessionUnavailableException($"This activation of session '{SessionId}' went away before it took the message; retry with the same idempotency key.");
        }

        var run = await Reads.WaitForRunAsync(submission.RunId, wait, orApproval: true)
            ?? throw new RunNotFoundException($"Run '{submission.RunId}' was accepted but cannot be read.");
        return SendResult.From(run);
    }

    /// <inheritdoc />
    public Task<RunSubmission> StartDelegatedAsync(DelegatedRun request)
    {
        // The manager's tool call, as Orleans' activity propagation brought it: the specialist's run joins its trace.
        var traceParent = AgentTelemetry.CaptureParent();
        return AcceptAsync(nameof(StartDelegatedAsync), JsonSerializer.Serialize(request, OutcomeJson), () => Engine.StartDelegated(request, traceParent));
    }

    /// <inheritdoc />
    public Task<RunView> CancelRunAsync(string runId) =>
        AcceptAsync(nameof(CancelRunAsync), runId, () => Engine.Cancel(runId, reason: null), () => FinishedAsCancelledAsync(runId));

    /// <inheritdoc />
    public Task<RunView> CancelWithManagerAsync(string runId, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return AcceptAsync(nameof(CancelWithManagerAsync), $"{runId}\n{reason}", () => Engine.Cancel(runId, reason), () => FinishedAsCancelledAsync(runId));
    }

    /// <inheritdoc />
    public Task<RunView> DecideApprovalAsync(string runId, string callId, bool approve) =>
        AcceptAsync(nameof(DecideApprovalAsync), $"{runId}\n{callId}\n{approve}", () => Engine.DecideApproval(runId, callId, approve));

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        ThrowIfStale();
        Change(() => Engine.Tick(reminderName, DriverAlive));
        await ApplyAsync();
        if (Log.State.Active is null)
        {
            // At rest since the last tick at least: what was kept for the next run goes (the history's
            // tail), and so does the last run's view (its waiters have had it; readers find it in the journal).
            Engine.Rest();
            if (Log.Finished is not null)
            {
                Log.ForgetFinished();
                Reads.Publish(Log.State);
            }
        }
    }

    /// <inheritdoc />
    public Task<RunView?> GetRunAsync(string runId)
    {
        ThrowIfStale();
        return Reads.GetRunAsync(runId);
    }

    /// <inheritdoc />
    public Task<RunView?> WaitForRunAsync(string runId, TimeSpan timeout)
    {
        ThrowIfStale();
        return Reads.WaitForRunAsync(runId, timeout);
    }

    /// <inheritdoc />
    public Task<RunView?> WaitForReplyAsync(string runId, TimeSpan timeout)
    {
        ThrowIfStale();
        return Reads.WaitForRunAsync(runId, timeout, orApproval: true);
    }

    /// <inheritdoc />
    public Task<RunEventPage> GetRunEventsAsync(string runId, long after, TimeSpan wait)
    {
        ThrowIfStale();
        return Reads.GetRunEventsAsync(runId, after, wait);
    }

    /// <inheritdoc />
    public Task<RunPage?> ListRunsAsync(long before, int limit)
    {
        ThrowIfStale();
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, RunPage.MaxLimit);
        return Reads.ListRunsAsync(before, limit);
    }

    /// <inheritdoc />
    public Task<SessionInfo?> GetInfoAsync()
    {
        ThrowIfStale();
        return Task.FromResult(Reads.Agent is { } agent ? new SessionInfo(SessionId, agent, Created: false, Reads.UserId, Reads.Owner) : null);
    }

    /// <inheritdoc />
    public async Task<SessionView?> GetAsync()
    {
        ThrowIfStale();
        return Reads.Agent is { } agent ? new SessionView(SessionId, agent, await Reads.ReadHistoryAsync(), Reads.CurrentAgent, Reads.UserId) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync()
    {
        ThrowIfStale();
        return Reads.Agent is null ? [] : await Reads.ReadHistoryAsync();
    }

    /// <summary>The record of a message accepted with <paramref name="key"/>, if any.</summary>
    /// <exception cref="SessionUnavailableException">The database could not be read for a moment (stopped, restarting, a broken connection): nothing was changed, and the same message with the same key may succeed.</exception>
    private async Task<MessageRecord?> FindMessageAsync(string key)
    {
        try
        {
            return await Log.FindMessageAsync(key, Stopping);
        }
        catch (Storage.StorageException ex) when (ex.IsTransient)
        {
            // Without the key's record the message can be neither answered as a retry nor accepted as new;
            // the caller sends it again with the same key (as for a commit that failed).
            throw new SessionUnavailableException($"Session '{SessionId}' could not look up idempotency key '{key}': {ex.Message}; nothing was changed. Retry with the same idempotency key.");
        }
    }

    /// <summary>Handles a message: answers a retry from its record, else lets the engine change the session and commits the change with the message's record.</summary>
    /// <param name="method">The message's kind (part of its fingerprint).</param>
    /// <param name="request">What it asks (part of its fingerprint).</param>
    /// <param name="change">The engine's change; returns the answer, or null when <paramref name="unchanged"/> answers.</param>
    /// <param name="unchanged">Answers when the change found nothing to do.</param>
    private Task<T> AcceptAsync<T>(string method, string request, Func<T?> change, Func<Task<T>>? unchanged = null)
        where T : class =>
        AcceptAsync(IdempotencyKey.Current, method, request, change, unchanged);

    /// <summary>As <see cref="AcceptAsync{T}(string, string, Func{T}, Func{Task{T}}?)"/>, under <paramref name="key"/> (or none).</summary>
    private async Task<T> AcceptAsync<T>(string? key, string method, string request, Func<T?> change, Func<Task<T>>? unchanged = null)
        where T : class
    {
        ThrowIfStale();
        var fingerprint = key is null ? null : Fingerprint(method, request);
        if (key is not null && await FindMessageAsync(key) is { } earlier)
        {
            // A retry of a message already accepted: the first outcome, nothing processed again.
            return string.Equals(earlier.Request, fingerprint, StringComparison.Ordinal)
                ? JsonSerializer.Deserialize<T>(earlier.Outcome, OutcomeJson)!
                : throw new MessageKeyReusedException($"Idempotency key '{key}' was already used for another message to session '{SessionId}'; use a new key for a new message.");
        }

        ThrowIfStale();
        var result = Change(change);
        if (result is null)
        {
            return await unchanged!();
        }

        if (key is not null && Engine.HasChanges)
        {
            Log.Record(new MessageRecord(key, fingerprint!, JsonSerializer.Serialize(result, OutcomeJson)));
        }

        await ApplyAsync();
        return result;
    }

    /// <summary>Runs an engine change; a change that throws after staging anything leaves the activation unusable (it reloads from the journal).</summary>
    private T Change<T>(Func<T> change)
    {
        try
        {
            return change();
        }
        catch (Exception ex) when (Log.HasStaged || Engine.HasChanges)
        {
            // Refusals come before any change; an exception after one is a bug, and the state in
            // memory no longer matches the journal: never commit it.
            Retire($"a change failed half-way: {ex.Message}");
            throw;
        }
    }

    private void Change(Action change) => Change(() =>
    {
        change();
        return true;
    });

    /// <summary>Applies the engine's last change: registers reminders, commits, then publishes, unregisters, drives and cancels.</summary>
    /// <remarks>
    /// A reminder is registered before the commit that needs it (a crash in between leaves a
    /// watchdog that finds nothing to do and unregisters itself) and unregistered after the commit
    /// that ends its need (a crash in between leaves the same harmless tick).
    /// </remarks>
    private async Task ApplyAsync()
    {
        var effects = Engine.TakeEffects();

        // The last change asked of each reminder is the one that counts: a run that ends and the next
        // that starts in one change unregister and register the watchdog, which must stay registered.
        var changes = effects.Reminders.GroupBy(static c => c.Name, StringComparer.Ordinal).Select(static g => g.Last()).ToList();
        try
        {
            foreach (var change in changes)
            {
                if (change.Due is { } due)
                {
                    // Orleans has no one-shot reminder: a one-shot ticks again after as long, unless its tick unregisters it.
                    // Orleans refuses a period under the silo's minimum (an approval timeout or watchdog period
                    // shorter than it), so such a reminder repeats at the minimum; its first tick still comes at due.
                    var period = change.Period > TimeSpan.Zero ? change.Period : due;
                    period = period < minimumReminderPeriod ? minimumReminderPeriod : period;
                    if (change.Period > TimeSpan.Zero && reminders is not null && reminders.TryGetValue(change.Name, out var known) && known.Period == period)
                    {
                        // A periodic reminder (the watchdog) this activation registered already: only its
                        // period matters, so runs that follow each other do not write it again.
                        continue;
                    }

                    var registered = await this.RegisterOrUpdateReminder(change.Name, due, period);
                    (reminders ??= new(StringComparer.Ordinal))[change.Name] = (registered, period);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The reminder service of the silo that owns this reminder can be unreachable (that silo just
            // died). The change is staged here but not committed, and its effects are taken: kept, a later
            // turn would commit it without its reminder, and a retry would find the staged idempotency
            // record and answer from a message that was never written. This activation must go, as after
            // a failed commit; the next one reloads the journal and takes the retry afresh.
            Retire($"registering a reminder failed ({ex.Message})");
            throw new SessionUnavailableException($"Session '{SessionId}' could not register a reminder for this change; nothing of it was written. Retry with the same idempotency key.");
        }

        if (effects.StateChanged || Log.HasStaged)
        {
            try
            {
                await Log.CommitAsync(timeProvider.GetUtcNow(), Stopping);
            }
            catch (Exception ex) when (ex is JournalConflictException or Storage.StorageException or OperationCanceledException)
            {
                Retire(ex is JournalConflictException ? $"another activation committed first ({ex.Message})" : $"its commit failed ({ex.Message})");
                throw new SessionUnavailableException($"Session '{SessionId}' could not commit this change; nothing of it was written. Retry with the same idempotency key.");
            }

            Reads.Publish(Log.State, Log.Finished);
            foreach (var ended in effects.Ended)
            {
                // Reported once journaled: a change whose commit failed ended nothing.
                AgentTelemetry.RecordRunEnded(ended.Agent, ended.Status);
                if (string.Equals(runSpanId, ended.RunId, StringComparison.Ordinal))
                {
                    EndRunSpan(ended.Status, ended.Reason);
                }
            }
        }

        foreach (var change in changes)
        {
            if (change.Due is null)
            {
                await UnregisterAsync(change.Name);
            }
        }

        if (effects.Driver is { } driver)
        {
            if (driver.Start)
            {
                StartDriver(driver.ResumeReason);
            }
            else
            {
                StopDriver();
            }
        }

        foreach (var cancellation in effects.Cancellations)
        {
            _ = CancelSpecialistsAsync(cancellation.RunIds, cancellation.Reason);
        }
    }

    private async Task UnregisterAsync(string name)
    {
        var reminder = reminders is not null && reminders.Remove(name, out var known) ? known.Reminder : await this.GetReminder(name);
        if (reminders is { Count: 0 })
        {
            reminders = null;
        }

        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>Answers a cancellation of a run that has already ended: its view if it was cancelled, else a conflict.</summary>
    private async Task<RunView> FinishedAsCancelledAsync(string runId)
    {
        var finished = await Reads.GetRunAsync(runId) ?? throw new RunNotFoundException($"Run '{runId}' does not exist.");
        return finished.Status == RunStatus.Cancelled
            ? finished
            : throw new RunConflictException($"Run '{runId}' has already ended: {finished.Status}{(finished.Reason is null ? string.Empty : $" ({finished.Reason})")}.");
    }

    /// <summary>Stops this activation from committing anything more: its state no longer matches the journal.</summary>
    private void Retire(string why)
    {
        stale ??= why;
        StopDriver();
        LogRetired(logger, SessionId, why);
        DeactivateOnIdle();
    }

    private void ThrowIfStale()
    {
        if (stale is not null)
        {
            throw new SessionUnavailableException($"This activation of session '{SessionId}' is going away ({stale}); retry with the same idempotency key.");
        }
    }

    /// <summary>What a message asks, as stored with its key: its kind and a hash of its arguments.</summary>
    private static string Fingerprint(string method, string request) =>
        $"{method}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request)))}";
}
