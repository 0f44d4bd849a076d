using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>How the gateway calls sessions: every message under an idempotency key, every call retried through a silo's death.</summary>
/// <remarks>
/// <para>Orleans calls are at most once: a call whose silo died, or that timed out, may or may not
/// have run. The gateway therefore sends every message with a key (the client's
/// <c>Idempotency-Key</c>, namespaced, or one it makes) and, when a call fails in a way a retry
/// can mend (<see cref="SessionCalls.IsTransient"/>: the silo died or is unreachable, the call timed
/// out, the activation was stale), sends it again with the same key until it is answered or
/// <see cref="GatewayOptions.MaxReplyWait"/> has passed. The session answers a retried key with
/// the first outcome, so a message is processed once however often it is sent, and a client sees
/// no error while one silo of several dies.</para>
/// <para>Reads are retried the same way (they change nothing).</para>
/// </remarks>
public sealed partial class SessionCaller
{
    /// <summary>The prefix of the keys clients give, so they can never equal a key the gateway or a grain makes.</summary>
    public const string ClientKeyPrefix = "http:";

    private const string GatewayKeyPrefix = "gateway:";

    // When a call's retries must stop: its request's Gateway:MaxReplyWait, carried in the pipeline's context.
    private static readonly ResiliencePropertyKey<DateTimeOffset> Deadline = new("agentgrains.deadline");

    private readonly IOptions<GatewayOptions> options;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<SessionCaller> logger;
    private readonly GatewayConnections connections;
    private readonly ResiliencePipeline pipeline;

    /// <summary>Creates the caller.</summary>
    public SessionCaller(IOptions<GatewayOptions> options, TimeProvider timeProvider, ILogger<SessionCaller> logger, GatewayConnections connections)
    {
        this.options = options;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.connections = connections;
        // Built once: each call only puts its own deadline in the context.
        pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                // Until the deadline, not a count: a silo's death takes its detection time to mend.
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(50),
                MaxDelay = TimeSpan.FromSeconds(1),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && SessionCalls.IsTransient(ex)
                    && args.Context.Properties.TryGetValue(Deadline, out var deadline) && timeProvider.GetUtcNow() < deadline),
                OnRetry = args =>
                {
                    LogRetry(this.logger, args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? string.Empty);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Sends a message under the client's key (or a new one), retrying transient failures with the same key.</summary>
    /// <param name="clientKey">The client's <c>Idempotency-Key</c> (already checked), or null.</param>
    /// <param name="call">The grain call.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    /// <param name="wait">How long the call itself may wait for the outcome (a long poll), if it does.</param>
    public Task<T> SendAsync<T>(string? clientKey, Func<Task<T>> call, CancellationToken cancellationToken, TimeSpan wait = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        var key = clientKey is null ? GatewayKeyPrefix + Guid.NewGuid().ToString("N") : ClientKeyPrefix + clientKey;
        return RetryAsync(
            async () =>
            {
                using var scope = IdempotencyKey.Use(key);
                return await call().ConfigureAwait(false);
            },
            wait,
            cancellationToken);
    }

    /// <summary>Reads, retrying transient failures; <paramref name="wait"/> is how long the read itself may wait (a long poll).</summary>
    public Task<T> ReadAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken, TimeSpan wait = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        return RetryAsync(call, wait, cancellationToken);
    }

    /// <summary>Sends a user message and waits until <paramref name="deadline"/> for its run to end (its view either way): the message and the first long poll in one call, then long polls.</summary>
    /// <param name="session">The session.</param>
    /// <param name="text">The message.</param>
    /// <param name="clientKey">The client's <c>Idempotency-Key</c> (already checked), or null.</param>
    /// <param name="deadline">When to stop waiting (now: accept the message and answer at once).</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    public async Task<SendResult> SubmitAndWaitAsync(IAgentSessionGrain session, string text, string? clientKey, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var poll = SessionCalls.NextPoll(deadline - timeProvider.GetUtcNow());
        var sent = await SendAsync(clientKey, () => session.SubmitAndWaitAsync(text, poll), cancellationToken, poll).ConfigureAwait(false);
        return sent.IsTerminal || sent.AwaitsApproval || timeProvider.GetUtcNow() >= deadline
            || await WaitForRunAsync(session, sent.RunId, deadline, cancellationToken, orApproval: true).ConfigureAwait(false) is not { } run
            ? sent
            : SendResult.From(run);
    }

    /// <summary>Waits up to <paramref name="wait"/> for a run to end (its view either way), in long polls short enough for Orleans' response timeout.</summary>
    public Task<RunView?> WaitForRunAsync(IAgentSessionGrain session, string runId, TimeSpan wait, CancellationToken cancellationToken) =>
        WaitForRunAsync(session, runId, timeProvider.GetUtcNow() + wait, cancellationToken);

    /// <summary>Waits until <paramref name="deadline"/> for a run to end or to pause for a person's approval (its view either way).</summary>
    public Task<RunView?> WaitForReplyAsync(IAgentSessionGrain session, string runId, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        WaitForRunAsync(session, runId, deadline, cancellationToken, orApproval: true);

    private async Task<RunView?> WaitForRunAsync(IAgentSessionGrain session, string runId, DateTimeOffset deadline, CancellationToken cancellationToken, bool orApproval = false)
    {
        ArgumentNullException.ThrowIfNull(session);
        while (true)
        {
            var poll = SessionCalls.NextPoll(deadline - timeProvider.GetUtcNow());
            var view = await ReadAsync(() => orApproval ? session.WaitForReplyAsync(runId, poll) : session.WaitForRunAsync(runId, poll), cancellationToken, poll).ConfigureAwait(false);
            if (view is null or { IsTerminal: true } || (orApproval && view.Status == RunStatus.AwaitingApproval) || timeProvider.GetUtcNow() >= deadline)
            {
                return view;
            }
        }
    }

    private async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan wait, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(Deadline, timeProvider.GetUtcNow() + options.Value.MaxReplyWait);
        try
        {
            // Each attempt is bounded past its own wait, and abandoned at once when a silo connection
            // is lost meanwhile: a call lost with its silo is sent again.
            return await pipeline.ExecuteAsync(
                static async (context, state) =>
                {
                    var lost = state.connections.Lost;
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lost);
                    try
                    {
                        return await state.call().WaitAsync(state.wait + SessionCalls.CallMargin, state.timeProvider, attempt.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (lost.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
                    {
                        throw new SessionUnavailableException("A silo connection was lost while the call was in flight; it is sent again with the same idempotency key.");
                    }
                },
                context,
                (call, wait, timeProvider, connections)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A session call failed transiently and is sent again (attempt {Attempt}): {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason);
}
