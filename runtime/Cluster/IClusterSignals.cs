using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;

namespace AgentGrains.Runtime.Cluster;

/// <summary>Wake-ups and replies between silos; the messages themselves always travel through the inbox.</summary>
/// <remarks>
/// A signal is only a hint to act now: losing one delays work until the silo's safety scan, it
/// never loses a message, because every message and every outcome is a row in the inbox.
/// </remarks>
internal interface IClusterSignals
{
    /// <summary>Starts delivering signals addressed to <paramref name="siloId"/> to <paramref name="handler"/>.</summary>
    IDisposable Subscribe(string siloId, IClusterSignalHandler handler);

    /// <summary>Tells the owner of <paramref name="grain"/> that its inbox has new messages.</summary>
    void Wake(string siloId, GrainId grain);

    /// <summary>Tells the sender of a message that it completed.</summary>
    void Reply(string siloId, GrainId grain, string idempotencyKey, Completion completion);

    /// <summary>Whether <paramref name="siloId"/> runs in this process (read-only calls reach it directly).</summary>
    bool IsLocal(string siloId);

    /// <summary>Runs a read-only call on a silo of this process that owns the grain.</summary>
    Task<object?> InvokeReadOnlyAsync(string siloId, GrainId grain, GrainMethod method, object?[] arguments);
}
