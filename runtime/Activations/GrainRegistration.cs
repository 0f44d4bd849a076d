using System.Reflection;
using AgentGrains.Runtime.Persistence;
using AgentGrains.Runtime.Proxies;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Runtime.Activations;

/// <summary>A grain implementation registered with the silo for one grain interface.</summary>
internal sealed class GrainRegistration
{
    private readonly ConstructorInfo constructor;

    public GrainRegistration(Type interfaceType, Type implementationType)
    {
        if (!interfaceType.IsAssignableFrom(implementationType) || !typeof(Grain).IsAssignableFrom(implementationType) || implementationType.IsAbstract)
        {
            throw new ArgumentException($"{implementationType.Name} must be a concrete Grain implementing {interfaceType.Name}.", nameof(implementationType));
        }

        var constructors = implementationType.GetConstructors();
        if (constructors.Length != 1)
        {
            throw new ArgumentException($"{implementationType.Name} must have exactly one public constructor.", nameof(implementationType));
        }

        Interface = GrainInterface.Of(interfaceType);
        ImplementationType = implementationType;
        constructor = constructors[0];
    }

    public GrainInterface Interface { get; }

    public Type ImplementationType { get; }

    /// <summary>Constructs the grain, creating the persistent states and logs its constructor asks for.</summary>
    public Grain Create(IServiceProvider services, Activation activation, List<IStagedStorage> storages)
    {
        var parameters = constructor.GetParameters();
        var arguments = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var type = parameter.ParameterType;
            if (parameter.GetCustomAttribute<PersistentStateAttribute>() is { } state)
            {
                Require(type, typeof(IPersistentState<>), parameter);
                var storage = (IStagedStorage)Activator.CreateInstance(typeof(PersistentState<>).MakeGenericType(type.GetGenericArguments()), activation, state.Name)!;
                storages.Add(storage);
                arguments[i] = storage;
            }
            else if (parameter.GetCustomAttribute<PersistentLogAttribute>() is { } log)
            {
                Require(type, typeof(IPersistentLog<>), parameter);
                var storage = (IStagedStorage)Activator.CreateInstance(typeof(PersistentLog<>).MakeGenericType(type.GetGenericArguments()), activation, log.Name)!;
                storages.Add(storage);
                arguments[i] = storage;
            }
            else
            {
                arguments[i] = services.GetRequiredService(type);
            }
        }

        try
        {
            return (Grain)constructor.Invoke(arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private void Require(Type type, Type generic, ParameterInfo parameter)
    {
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != generic)
        {
            throw new InvalidOperationException($"Parameter '{parameter.Name}' of {ImplementationType.Name} must be {generic.Name} to carry [{parameter.GetCustomAttributes().First().GetType().Name}].");
        }
    }
}
