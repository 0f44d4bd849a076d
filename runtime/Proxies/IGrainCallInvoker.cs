namespace AgentGrains.Runtime.Proxies;

/// <summary>Delivers a call made through a <see cref="GrainProxy"/> (to a local silo, or later to a remote one).</summary>
internal interface IGrainCallInvoker
{
    /// <summary>Sends the call and returns its result.</summary>
    Task<object?> InvokeAsync(GrainId grain, GrainMethod method, object?[] arguments);
}
