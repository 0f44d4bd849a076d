namespace AgentGrains.Runtime.Hosting;

/// <summary>Configures the silo added by <see cref="SiloServiceCollectionExtensions.AddAgentGrainsSilo"/>.</summary>
public interface ISiloBuilder
{
    /// <summary>The application's services.</summary>
    Microsoft.Extensions.DependencyInjection.IServiceCollection Services { get; }

    /// <summary>Registers <typeparamref name="TGrain"/> as the implementation of grain interface <typeparamref name="TInterface"/>.</summary>
    ISiloBuilder AddGrain<TInterface, TGrain>()
        where TInterface : IGrainWithStringKey
        where TGrain : Grain, TInterface;
}
