using AgentGrains.Runtime.Proxies;

namespace AgentGrains.Runtime;

/// <summary>The runtime's <see cref="IGrainFactory"/>.</summary>
internal sealed class GrainFactory(IGrainCallInvoker invoker) : IGrainFactory
{
    public TGrainInterface GetGrain<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey
    {
        var grainInterface = GrainInterface.Of(typeof(TGrainInterface));
        return GrainProxy.Create<TGrainInterface>(new GrainId(grainInterface.GrainType, key), invoker);
    }
}
