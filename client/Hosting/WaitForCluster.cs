using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AgentGrains.Client.Hosting;

/// <summary>Keeps a starting gateway trying to reach its cluster, saying in one line what it waits for.</summary>
/// <remarks>
/// An Orleans client gives up at its first failed connection, so a gateway started before its silos
/// (a container started first, a silo restarting) would exit with a stack trace. It waits instead,
/// until a silo answers or the host is stopped, and its HTTP API starts once connected.
/// </remarks>
internal sealed partial class WaitForCluster(IOptions<ClusterOptions> cluster, ILogger<WaitForCluster> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(2);

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        LogWaiting(logger, cluster.Value.ClusterId, Pause.TotalSeconds, exception.GetBaseException().Message);
        try
        {
            await Task.Delay(Pause, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return !cancellationToken.IsCancellationRequested;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No silo of cluster '{ClusterId}' answered; trying again in {Seconds} s. Start a silo, or give this gateway the silos' Cluster:Provider and Orleans:ClusterId ({Reason})")]
    private static partial void LogWaiting(ILogger logger, string clusterId, double seconds, string reason);
}
