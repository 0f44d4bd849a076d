using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace AgentGrains.GrainInterfaces.Messages;

/// <summary>Lets the project's exceptions cross Orleans calls as themselves.</summary>
public static class SessionSerializationServiceCollectionExtensions
{
    /// <summary>
    /// Makes Orleans serialize exceptions of the <c>AgentGrains</c> namespaces with their type,
    /// message and stack (by default it keeps only types of <c>System</c> and <c>Microsoft</c>), so a
    /// caller can tell <see cref="SessionUnavailableException"/> (retry) from a refusal. Both silos
    /// and clients need it.
    /// </summary>
    public static IServiceCollection AddSessionExceptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.Configure<ExceptionSerializationOptions>(static options => options.SupportedNamespacePrefixes.Add("AgentGrains"));
        return services;
    }
}
