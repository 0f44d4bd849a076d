using System.Collections.Concurrent;
using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;

namespace AgentGrains.Runtime.Cluster;

/// <summary>Signals between silos of one process that share one database file (the embedded SQLite cluster).</summary>
/// <remarks>
/// The stand-in for PostgreSQL's LISTEN/NOTIFY when several silos share a SQLite file inside one
/// process (a <c>TestCluster</c>). Silos sharing a file from different processes get no signals;
/// they rely on their safety scans, which is why a multi-process cluster uses PostgreSQL.
/// </remarks>
internal sealed class InProcessClusterSignals(string database) : IClusterSignals
{
    // Keyed by database so that unrelated in-process clusters (parallel tests) never see each other.
    private static readonly ConcurrentDictionary<string, ConcurrentDictionary<string, IClusterSignalHandler>> Clusters = new(StringComparer.Ordinal);

    private ConcurrentDictionary<string, IClusterSignalHandler> Silos => Clusters.GetOrAdd(database, static _ => new(StringComparer.Ordinal));

    public IDisposable Subscribe(string siloId, IClusterSignalHandler handler)
    {
        Silos[siloId] = handler;
        return new Subscription(this, siloId, handler);
    }

    public void Wake(string siloId, GrainId grain)
    {
        if (Silos.TryGetValue(siloId, out var handler))
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.handler.OnWake(s.grain), (handler, grain), preferLocal: false);
        }
    }

    public void Reply(string siloId, GrainId grain, string idempotencyKey, Completion completion)
    {
        if (Silos.TryGetValue(siloId, out var handler))
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.handler.OnReply(s.grain, s.idempotencyKey, s.completion), (handler, grain, idempotencyKey, completion), preferLocal: false);
        }
    }

    public bool IsLocal(string siloId) => Silos.ContainsKey(siloId);

    public Task<object?> InvokeReadOnlyAsync(string siloId, GrainId grain, GrainMethod method, object?[] arguments) =>
        Silos.TryGetValue(siloId, out var handler)
            ? handler.InvokeReadOnlyAsync(grain, method, arguments)
            : Task.FromException<object?>(new SiloUnavailableException($"Silo {siloId}, which owns {grain}, is not reachable from this process."));

    private sealed class Subscription(InProcessClusterSignals owner, string siloId, IClusterSignalHandler handler) : IDisposable
    {
        public void Dispose() => owner.Silos.TryRemove(new KeyValuePair<string, IClusterSignalHandler>(siloId, handler));
    }
}
