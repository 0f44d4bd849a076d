using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;

namespace AgentGrains.Runtime.Cluster;

/// <summary>What a silo does with the signals other silos send it.</summary>
internal interface IClusterSignalHandler
{
    /// <summary>New messages wait in the inbox of <paramref name="grain"/>, which this silo owns: read them.</summary>
    void OnWake(GrainId grain);

    /// <summary>A message this silo sent has completed elsewhere; <paramref name="completion"/> is null when it must be read from the inbox.</summary>
    void OnReply(GrainId grain, string idempotencyKey, Completion? completion);

    /// <summary>Runs a read-only call for another silo on the activation here.</summary>
    Task<object?> InvokeReadOnlyAsync(GrainId grain, GrainMethod method, object?[] arguments);
}
