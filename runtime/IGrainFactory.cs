namespace AgentGrains.Runtime;

/// <summary>Hands out references (proxies) to grains.</summary>
public interface IGrainFactory
{
    /// <summary>Returns a reference to the grain of interface <typeparamref name="TGrainInterface"/> with <paramref name="key"/>.</summary>
    /// <remarks>Getting a reference does no I/O; the grain is activated by the first call made through it.</remarks>
    TGrainInterface GetGrain<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey;
}
