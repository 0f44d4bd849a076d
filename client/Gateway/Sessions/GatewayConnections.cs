using Microsoft.Extensions.Logging;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>Tells the gateway's session calls when a standalone gateway loses its connection to a silo, so calls in flight are sent again at once.</summary>
/// <remarks>
/// <para>An Orleans client answers a call whose silo died only at its response timeout (30 s): a
/// client does not fail its calls in flight when a silo is declared dead, as silos do. A silo
/// killed with <c>kill -9</c> closes its connections at once, though, and the client reports that
/// here (<see cref="IClusterConnectionStatusObserver"/>). Every call in flight is then abandoned
/// and sent again with its idempotency key (<see cref="SessionCaller"/>): the ones that were on
/// live silos get their first outcome again, the ones that were on the dead silo reach the
/// session's next activation as soon as Orleans has declared the silo dead.</para>
/// <para>In a silo, no client reports anything: the silo fails calls to a dead silo itself.</para>
/// </remarks>
public sealed partial class GatewayConnections(ILogger<GatewayConnections> logger) : IClusterConnectionStatusObserver, IDisposable
{
    private CancellationTokenSource current = new();
    private bool disposed;

    /// <summary>Cancelled when a connection to a silo is lost after the call that took it began.</summary>
    public CancellationToken Lost => Volatile.Read(ref current).Token;

    /// <inheritdoc />
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            LogLost(logger, previousNumberOfGateways, currentNumberOfGateways);
            Renew();
        }
    }

    /// <inheritdoc />
    public void NotifyClusterConnectionLost() => Renew();

    /// <inheritdoc />
    public void Dispose()
    {
        // The client may still report closed connections while the host stops: nothing is renewed then.
        Volatile.Write(ref disposed, true);
        current.Dispose();
    }

    private void Renew()
    {
        if (Volatile.Read(ref disposed))
        {
            return;
        }

        // Calls that start from now on watch the new source; the old one is cancelled, never disposed,
        // since calls in flight may still be registering on its token.
        Interlocked.Exchange(ref current, new CancellationTokenSource()).Cancel();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The gateway lost a silo connection ({Previous} → {Current}); session calls in flight are sent again with their idempotency keys")]
    private static partial void LogLost(ILogger logger, int previous, int current);
}
