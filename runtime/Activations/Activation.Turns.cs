using System.Diagnostics;
using AgentGrains.Runtime.Cluster;
using AgentGrains.Runtime.Diagnostics;
using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Persistence;
using AgentGrains.Runtime.Reminders;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Activations;

internal sealed partial class Activation
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private async Task RunAsync()
    {
        var backoff = TimeSpan.Zero;
        while (true)
        {
            if (backoff > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(backoff, silo.TimeProvider, silo.DrainingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    StopWorker();
                    return;
                }
            }

            try
            {
                await EnsureInitializedAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Handled by InitializeOrFailAsync: the activation is closed and its callers served.
                return;
            }

            if (!TryTakeNext(out var record, out var envelope, out var turn, out var pull))
            {
                return;
            }

            if (turn is not null)
            {
                await ProcessLocalTurnAsync(turn).ConfigureAwait(false);
                backoff = TimeSpan.Zero;
                if (deactivationRequested)
                {
                    deactivationRequested = false;
                    silo.Deactivate(this);
                }

                continue;
            }

            if (pull)
            {
                try
                {
                    await PullPendingAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AgentGrainsException or OperationCanceledException)
                {
                    // The messages stay in the inbox; the safety scan pulls again.
                    silo.LogCommitFailed(GrainId, 0, ex);
                }

                continue;
            }

            if (envelope is not null)
            {
                record = await AcceptAsync(envelope).ConfigureAwait(false);
                if (record is null)
                {
                    continue;
                }
            }

            try
            {
                await ProcessAsync(record!).ConfigureAwait(false);
                backoff = TimeSpan.Zero;
            }
            catch (Exception ex)
            {
                // The commit did not happen: the message is still pending in the inbox. Start over
                // from storage (new instance, re-read state and pending messages) after a pause.
                silo.LogCommitFailed(GrainId, record!.Id, ex);
                Reset();
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                if (silo.DrainingToken.IsCancellationRequested)
                {
                    StopWorker();
                    return;
                }

                continue;
            }

            if (deactivationRequested)
            {
                deactivationRequested = false;
                silo.Deactivate(this);
            }
        }
    }

    private bool TryTakeNext(out InboxRecord? record, out Envelope? envelope, out LocalTurn? turn, out bool pull)
    {
        record = null;
        envelope = null;
        turn = null;
        pull = false;
        lock (gate)
        {
            if (!closed)
            {
                if (pullRequested)
                {
                    pullRequested = false;
                    pull = true;
                    return true;
                }

                if (recovered.TryDequeue(out record))
                {
                    return true;
                }

                if (queue.TryDequeue(out var item))
                {
                    envelope = item as Envelope;
                    turn = item as LocalTurn;
                    return true;
                }

                running = false;
                Volatile.Write(ref lastActive, silo.TimeProvider.GetTimestamp());
                return false;
            }
        }

        StopWorker();
        return false;
    }

    private void StopWorker()
    {
        Envelope[] leftovers;
        LocalTurn[] turns;
        lock (gate)
        {
            running = false;
            turns = TakeLocalTurns();
            leftovers = [.. queue.OfType<Envelope>()];
            queue.Clear();
            stopped?.TrySetResult();
        }

        FailLocalTurns(turns, Closed());

        // Queued messages are durable already; hand their callers to the next activation.
        silo.Repost(GrainId, leftovers);
    }

    private void FailActivation(Exception error)
    {
        if (error is not GrainOwnedElsewhereException)
        {
            silo.LogActivationFailed(GrainId, error);
        }

        Envelope[] leftovers;
        LocalTurn[] turns;
        lock (gate)
        {
            closed = true;
            running = false;
            silo.Directory.Remove(this);
            turns = TakeLocalTurns();
            leftovers = [.. queue.OfType<Envelope>()];
            queue.Clear();
            stopped?.TrySetResult();
        }

        FailLocalTurns(turns, Closed());

        if (error is GrainOwnedElsewhereException elsewhere)
        {
            // Not ours: the messages are in the grain's inbox; the owner runs them and replies.
            silo.Forward(elsewhere.Owner, GrainId, leftovers);
            return;
        }

        // The messages stay pending in the inbox; the silo's recovery scan retries the grain later.
        var failure = error as AgentGrainsException
            ?? new StorageException($"Grain {GrainId} could not be activated: {error.Message}", isTransient: true, error);
        foreach (var envelope in leftovers)
        {
            silo.Completions.Complete(GrainId, envelope.IdempotencyKey, new Completion(InboxStatus.Pending, null, null, failure));
        }
    }

    private async Task<InboxRecord?> AcceptAsync(Envelope envelope)
    {
        EnqueueResult accepted;
        try
        {
            accepted = await envelope.Accepted.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            silo.Completions.Complete(GrainId, envelope.IdempotencyKey, new Completion(InboxStatus.Pending, null, null, ex));
            return null;
        }

        if (accepted.Duplicate)
        {
            // Completed: answer from the stored outcome. Pending: the original is ahead of this
            // envelope (queued or recovered) and completes every caller of the key.
            if (accepted.Record.Status != InboxStatus.Pending)
            {
                silo.Completions.Complete(accepted.Record);
            }

            return null;
        }

        lock (gate)
        {
            // Queued from the inbox (at activation or by a pull) or processed already.
            return knownIds.Add(accepted.Record.Id) ? accepted.Record : null;
        }
    }

    /// <summary>Runs one durable message, commits its outcome, and resets the activation if the grain threw after staging writes.</summary>
    private async Task ProcessAsync(InboxRecord record)
    {
        var tick = record.Method == ReminderMessage.MethodKey;
        var known = registration.Interface.TryGetMethod(record.Method, out var method);
        using var activity = StartTurnActivity(record, tick ? ReminderMessage.MethodName : known ? method.Method.Name : record.Method);
        string? unremindable = null;
        if (silo.TurnHook is { } hook)
        {
            await hook(GrainId, silo.StoppingToken).ConfigureAwait(false);
        }

        string? result = null;
        Exception? thrown = null;
        var stagedBeforeThrow = false;
        InTurn = true;
        ClearStaged();
        try
        {
            if (tick)
            {
                await ReceiveReminderAsync(record, name => unremindable = name).ConfigureAwait(false);
            }
            else
            {
                if (!known)
                {
                    throw new NotSupportedException($"Grain type {GrainId.Type} has no method {record.Method}.");
                }

                var arguments = MessageCodec.DecodeArguments(record.Arguments, method, silo.StoppingToken);
                var value = await RunOnSchedulerAsync(Current(), g => method.Invoke(g, arguments), turn: true).ConfigureAwait(false);
                result = MessageCodec.EncodeResult(value, method.ResultType);
            }
        }
        catch (Exception ex)
        {
            thrown = ex;
            // A grain that refuses a call before staging anything (a validation error, a conflict)
            // keeps its activation, as in Orleans; one that staged writes is reloaded from storage,
            // because its memory may be ahead of what the dropped writes leave stored.
            stagedBeforeThrow = staged.Count > 0 || stagedReminders.Count > 0 || afterCommit.Count > 0;
            ClearStaged();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.AddException(ex);
        }
        finally
        {
            InTurn = false;
        }

        if (unremindable is not null)
        {
            // Otherwise the reminder would fire (and fail) for ever; removed with the failed tick's completion.
            silo.LogReminderUnregistered(GrainId, unremindable, registration.ImplementationType.Name);
            stagedReminders[unremindable] = new ReminderWrite(unremindable, null, TimeSpan.Zero);
        }

        var completion = thrown is null
            ? new MessageCompletion(record.Id, InboxStatus.Succeeded, result, null)
            : new MessageCompletion(record.Id, InboxStatus.Failed, null, ExceptionCodec.Encode(thrown));
        await CommitAsync(completion, silo.StoppingToken).ConfigureAwait(false);
        MarkProcessed(record.Id);
        if (stagedBeforeThrow)
        {
            // Nothing the grain staged was written, so its memory may be ahead of storage. Drop the
            // instance before anyone hears of the failure: a caller's next call re-reads what is stored.
            Reset();
        }

        var outcome = new Completion(completion.Status, completion.Result, completion.Error, null);
        silo.Completions.Complete(GrainId, record.IdempotencyKey, outcome);
        if (record.ReplyTo is { } sender && sender != silo.SiloId)
        {
            silo.Signals.Reply(sender, GrainId, record.IdempotencyKey, outcome);
        }

    }

    private async Task CommitAsync(MessageCompletion? completion, CancellationToken cancellationToken)
    {
        var states = new List<StateWrite>();
        var appends = new List<LogAppend>();
        var reminders = new List<ReminderWrite>();
        // States and logs are grain memory: touch them only on the grain's scheduler, where a
        // read-only call may be running between the turn's awaits.
        await OnSchedulerAsync(() =>
        {
            foreach (var storage in staged)
            {
                storage.Collect(states, appends);
            }

            reminders.AddRange(stagedReminders.Values);
        }).ConfigureAwait(false);

        if (completion is null && states.Count == 0 && appends.Count == 0 && reminders.Count == 0)
        {
            await OnSchedulerAsync(RunCommitted).ConfigureAwait(false);
            return;
        }

        var commit = new TurnCommit(GrainId, Epoch, completion, states, appends, silo.TimeProvider.GetUtcNow(), reminders);
        var outcome = await Storage.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
        await OnSchedulerAsync(() =>
        {
            using var versions = outcome.Versions.GetEnumerator();
            foreach (var storage in staged)
            {
                storage.Committed(versions);
            }

            staged.Clear();
            stagedReminders.Clear();
            RunCommitted();
        }).ConfigureAwait(false);
    }

    /// <summary>Runs the turn's after-commit callbacks (on the scheduler, before any caller is answered).</summary>
    private void RunCommitted()
    {
        if (afterCommit.Count == 0)
        {
            return;
        }

        var callbacks = afterCommit.ToArray();
        afterCommit.Clear();
        foreach (var callback in callbacks)
        {
            try
            {
                callback();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The turn is durable already; a failing callback must not undo or repeat it.
                silo.LogCommitFailed(GrainId, 0, ex);
            }
        }
    }

    private Task OnSchedulerAsync(Action action)
    {
        if (TaskScheduler.Current == Scheduler)
        {
            action();
            return Task.CompletedTask;
        }

        return Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler);
    }

    /// <summary>Runs a turn queued with <see cref="QueueTurn"/>: the delegate, then one commit of what it staged (no inbox completion).</summary>
    private async Task ProcessLocalTurnAsync(LocalTurn turn)
    {
        if (!ReferenceEquals(grain, turn.Instance))
        {
            turn.Fail(Stale());
            return;
        }

        using var activity = StartLocalTurnActivity();
        Exception? thrown = null;
        InTurn = true;
        ClearStaged();
        try
        {
            await RunOnSchedulerAsync(turn.Instance, async _ =>
            {
                await turn.InvokeAsync();
                return null;
            }, turn: true).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            thrown = ex;
            ClearStaged();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.AddException(ex);
        }
        finally
        {
            InTurn = false;
        }

        if (thrown is null)
        {
            try
            {
                await CommitAsync(completion: null, silo.StoppingToken).ConfigureAwait(false);
                turn.Succeed();
                return;
            }
            catch (Exception ex)
            {
                silo.LogCommitFailed(GrainId, 0, ex);
                thrown = ex;
            }
        }

        // As after a failed message turn: the instance may be ahead of storage; the next work re-reads it.
        turn.Fail(thrown);
        Reset();
    }

    private Grain Current() => grain ?? throw new InvalidOperationException($"Grain {GrainId} is not initialized.");

    private void ClearStaged()
    {
        staged.Clear();
        stagedReminders.Clear();
        afterCommit.Clear();
    }

    private void Reset()
    {
        LocalTurn[] turns;
        lock (gate)
        {
            grain = null;
            initialization = null;
            ClearStaged();
            // Turns queued by the dropped instance must not run on the next one.
            turns = TakeLocalTurns();
        }

        FailLocalTurns(turns, Stale());
    }

    private Activity? StartLocalTurnActivity()
    {
        if (!RuntimeDiagnostics.Source.HasListeners())
        {
            return null;
        }

        var activity = RuntimeDiagnostics.Source.StartActivity($"process {GrainId.Type}.RunTurn", ActivityKind.Internal);
        activity?.SetTag("agentgrains.grain.id", GrainId.ToString());
        activity?.SetTag("agentgrains.silo.id", silo.SiloId);
        return activity;
    }

    /// <summary>Delivers a reminder tick to <see cref="IRemindable.ReceiveReminder"/>, inside the message's turn.</summary>
    private async Task ReceiveReminderAsync(InboxRecord record, Action<string> unremindable)
    {
        var (name, status) = ReminderMessage.Decode(record.Arguments);
        if (!typeof(IRemindable).IsAssignableFrom(registration.ImplementationType))
        {
            unremindable(name);
            throw new InvalidOperationException(
                $"Grain {GrainId} ({registration.ImplementationType.Name}) received reminder '{name}' but does not implement IRemindable; the reminder was unregistered.");
        }

        await RunOnSchedulerAsync(Current(), async g =>
        {
            await ((IRemindable)g).ReceiveReminder(name, status);
            return null;
        }, turn: true).ConfigureAwait(false);
    }

    private Activity? StartTurnActivity(InboxRecord record, string name)
    {
        if (!RuntimeDiagnostics.Source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(record.TraceParent, null, out var parent);
        var activity = RuntimeDiagnostics.Source.StartActivity($"process {GrainId.Type}.{name}", ActivityKind.Server, parent);
        activity?.SetTag("rpc.system", "agentgrains");
        activity?.SetTag("rpc.method", name);
        activity?.SetTag("agentgrains.grain.id", GrainId.ToString());
        activity?.SetTag("agentgrains.message.id", record.Id);
        activity?.SetTag("agentgrains.silo.id", silo.SiloId);
        return activity;
    }
}
