using System.Diagnostics;
using AgentGrains.Runtime.Diagnostics;
using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime;

public sealed partial class Silo
{
    internal Task<object?> InvokeAsync(GrainId grain, GrainMethod method, object?[] arguments)
    {
        if (status != SiloStatus.Active)
        {
            return Task.FromException<object?>(new SiloUnavailableException($"Silo {SiloId} is {status.ToString().ToLowerInvariant()}; it takes no calls."));
        }

        var cancellationToken = method.CancellationTokenIndex >= 0 ? (CancellationToken)arguments[method.CancellationTokenIndex]! : default;
        try
        {
            return method.IsReadOnly
                ? InvokeTransientAsync(grain, method, arguments, forwarded: false, cancellationToken)
                : InvokeDurable(grain, method, arguments, cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException or NotSupportedException or SiloUnavailableException)
        {
            return Task.FromException<object?>(ex);
        }
    }

    /// <summary>Sends a durable call: synchronous up to the point where its inbox write and envelope are queued.</summary>
    /// <remarks>
    /// No await happens before the message is queued at the storage writer and at the activation,
    /// so calls made one after another from one thread are accepted and processed in that order.
    /// </remarks>
    private Task<object?> InvokeDurable(GrainId grain, GrainMethod method, object?[] arguments, CancellationToken cancellationToken)
    {
        // A grain type not hosted here (a client node, a heterogeneous cluster) is sent to the silo
        // that owns or will own it; without any peer the error names the missing registration.
        if (IsClient && KnownActivePeers == 0)
        {
            throw new SiloUnavailableException($"No active silo is known to host {grain} yet; start a silo or retry.");
        }

        var activation = Directory.CanHost(grain.Type) || KnownActivePeers == 0 ? Directory.GetOrCreate(grain) : null;
        var key = RequestContext.IdempotencyKey ?? Guid.NewGuid().ToString("N");
        var json = MessageCodec.EncodeArguments(method, arguments);
        var previous = Activity.Current;
        var activity = StartCallActivity(grain, method);
        var message = new InboxMessage(grain, key, method.Key, json, Activity.Current?.Id, TimeProvider.GetUtcNow(), ReplyTo: SiloId);
        // The span belongs to this call, not to the caller's flow that continues after we return.
        Activity.Current = previous;

        var waiter = Completions.Register(grain, key);
        var accepted = Storage.EnqueueAsync(message, StoppingToken);
        var envelope = new Envelope(key, accepted);
        if (activation is null)
        {
            _ = RouteAsync(grain, envelope);
        }
        else if (!activation.TryPost(envelope) && !TryPost(grain, envelope))
        {
            Completions.Complete(grain, key, new Completion(InboxStatus.Pending, null, null, new SiloUnavailableException($"Silo {SiloId} is stopping; the call is kept in the inbox.")));
        }

        return AwaitCompletionAsync(message, method, accepted, waiter, activity, cancellationToken);
    }

    private async Task<object?> AwaitCompletionAsync(
        InboxMessage message, GrainMethod method, Task<EnqueueResult> accepted, Task<Completion> waiter, Activity? activity, CancellationToken cancellationToken)
    {
        var grain = message.Grain;
        using (activity)
        {
            Completion completion;
            try
            {
                await Task.WhenAny(accepted, waiter).WaitAsync(options.ResponseTimeout, TimeProvider, cancellationToken).ConfigureAwait(false);
                if (accepted is { IsCompletedSuccessfully: true, Result: { Duplicate: true } existing }
                    && (existing.Record.Method != message.Method || existing.Record.Arguments != message.Arguments))
                {
                    // Answering with the first call's result would silently drop this different request.
                    throw new IdempotencyKeyReusedException(
                        $"Idempotency key '{message.IdempotencyKey}' was already used for a different call to {grain} ({existing.Record.Method}); use a new key for a new request.");
                }

                completion = await waiter.WaitAsync(options.ResponseTimeout, TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, "timeout");
                throw new GrainCallTimeoutException(
                    $"{grain}.{method.Method.Name} did not complete within {options.ResponseTimeout.TotalSeconds:0.###} s; it stays in the inbox and still runs. Retry with the same idempotency key for its result.");
            }

            if (completion.LocalError is { } local)
            {
                activity?.SetStatus(ActivityStatusCode.Error, local.Message);
                throw local;
            }

            if (completion.Status == InboxStatus.Failed)
            {
                var error = ExceptionCodec.Decode(completion.Error ?? "{}");
                activity?.SetStatus(ActivityStatusCode.Error, error.Message);
                throw error;
            }

            return MessageCodec.DecodeResult(completion.Result, method.ResultType);
        }
    }

    private async Task<object?> InvokeTransientAsync(GrainId grain, GrainMethod method, object?[] arguments, bool forwarded, CancellationToken cancellationToken)
    {
        using var activity = StartCallActivity(grain, method);
        if (IsClient && KnownActivePeers == 0)
        {
            throw new SiloUnavailableException($"No active silo is known to host {grain} yet; start a silo or retry.");
        }

        if (!forwarded && !Directory.CanHost(grain.Type) && KnownActivePeers > 0)
        {
            var target = await FindHostAsync(grain).ConfigureAwait(false);
            return await InvokeReadOnlyOnAsync(target, grain, method, arguments).ConfigureAwait(false);
        }

        while (true)
        {
            var activation = Directory.GetOrCreate(grain);
            if (activation.TryEnterTransient())
            {
                var call = activation.InvokeTransientAsync(method, arguments);
                try
                {
                    return call.IsCompleted
                        ? await call.ConfigureAwait(false)
                        : await call.WaitAsync(options.ResponseTimeout, TimeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (Cluster.GrainOwnedElsewhereException elsewhere)
                {
                    return await InvokeOwnedElsewhereAsync(grain, method, arguments, elsewhere.Owner, forwarded).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    throw new GrainCallTimeoutException($"{grain}.{method.Method.Name} did not complete within {options.ResponseTimeout.TotalSeconds:0.###} s.");
                }
            }

            if (status != SiloStatus.Active)
            {
                throw new SiloUnavailableException($"Silo {SiloId} is stopping; it takes no calls.");
            }
        }
    }

    private static Activity? StartCallActivity(GrainId grain, GrainMethod method)
    {
        if (!RuntimeDiagnostics.Source.HasListeners())
        {
            return null;
        }

        var activity = RuntimeDiagnostics.Source.StartActivity($"call {grain.Type}.{method.Method.Name}", ActivityKind.Client);
        activity?.SetTag("rpc.system", "agentgrains");
        activity?.SetTag("rpc.method", method.Method.Name);
        activity?.SetTag("agentgrains.grain.id", grain.ToString());
        activity?.SetTag("agentgrains.call.durable", !method.IsReadOnly);
        return activity;
    }
}
