using System.Collections.Concurrent;
using AgentGrains.Client.Gateway;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.GrainInterfaces.Messages;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;

namespace AgentGrains.Tests.Gateway;

/// <summary>
/// The gateway's session calls when a standalone gateway loses a silo connection: an Orleans client
/// answers a call whose silo died only at its response timeout, so the gateway abandons its calls in
/// flight itself and sends them again with the same key.
/// </summary>
public sealed class SessionCallerTests : IDisposable
{
    // Far beyond the bounds below: only the lost connection can end the first attempt in time.
    private static readonly TimeSpan LongWait = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly GatewayConnections connections = new(NullLogger<GatewayConnections>.Instance);
    private readonly SessionCaller caller;

    public SessionCallerTests()
    {
        caller = new SessionCaller(Options.Create(new GatewayOptions { MaxReplyWait = LongWait }), TimeProvider.System, NullLogger<SessionCaller>.Instance, connections);
    }

    [Fact]
    public async Task SendAsync_SiloConnectionLostWhileTheCallIsInFlight_SentAgainAtOnceWithTheSameKey()
    {
        var keys = new ConcurrentQueue<string?>();
        var firstSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var sending = caller.SendAsync(
            "order-7",
            async () =>
            {
                keys.Enqueue(IdempotencyKey.Current);
                if (keys.Count == 1)
                {
                    // Sent to the silo that is about to die: no answer ever comes.
                    firstSent.TrySetResult();
                    await Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken);
                }

                return "run-1";
            },
            TestContext.Current.CancellationToken,
            wait: LongWait);
        await firstSent.Task.WaitAsync(Bound, TestContext.Current.CancellationToken);
        ((IClusterConnectionStatusObserver)connections).NotifyGatewayCountChanged(2, 3, connectionRecovered: false);

        Assert.Equal("run-1", await sending.WaitAsync(Bound, TestContext.Current.CancellationToken));
        Assert.Equal([SessionCaller.ClientKeyPrefix + "order-7", SessionCaller.ClientKeyPrefix + "order-7"], keys);
    }

    [Fact]
    public async Task ReadAsync_ConnectionLostBeforeTheCallAndAnotherOneOpened_TheCallIsNotAbandoned()
    {
        ((IClusterConnectionStatusObserver)connections).NotifyGatewayCountChanged(2, 3, connectionRecovered: false);
        ((IClusterConnectionStatusObserver)connections).NotifyGatewayCountChanged(3, 2, connectionRecovered: true);
        var calls = 0;
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var reading = caller.ReadAsync(() => { Interlocked.Increment(ref calls); return answer.Task; }, TestContext.Current.CancellationToken, LongWait);
        answer.SetResult("view");

        Assert.Equal("view", await reading.WaitAsync(Bound, TestContext.Current.CancellationToken));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task SendAsync_RequestCancelledByTheClient_NotSentAgain()
    {
        using var request = new CancellationTokenSource();
        var calls = 0;

        var sending = caller.SendAsync<string>(
            null,
            async () =>
            {
                Interlocked.Increment(ref calls);
                await Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken);
                return "never";
            },
            request.Token,
            wait: LongWait);
        await request.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(Bound, TestContext.Current.CancellationToken));
        Assert.Equal(1, calls);
    }

    public void Dispose() => connections.Dispose();
}
