using System.Collections.Concurrent;

namespace AgentGrains.Runtime.Activations;

/// <summary>The activations alive in one silo, by grain id.</summary>
internal sealed class ActivationDirectory(Silo silo, IReadOnlyDictionary<string, GrainRegistration> registrations)
{
    private readonly ConcurrentDictionary<GrainId, Activation> activations = new();

    public int Count => activations.Count;

    /// <summary>Whether any grain type is registered here (a node with none is a client).</summary>
    public bool HostsGrains => registrations.Count > 0;

    /// <summary>Whether grains of <paramref name="grainType"/> can be activated here.</summary>
    public bool CanHost(string grainType) => registrations.ContainsKey(grainType);

    public IEnumerable<Activation> All => activations.Values;

    public Activation GetOrCreate(GrainId grain)
    {
        if (activations.TryGetValue(grain, out var existing))
        {
            return existing;
        }

        if (!registrations.TryGetValue(grain.Type, out var registration))
        {
            throw new ArgumentException($"No grain implementation is registered for grain type '{grain.Type}' (grain {grain}).", nameof(grain));
        }

        // GetOrAdd may build an Activation it then drops; construction is cheap and has no side effects.
        return activations.GetOrAdd(grain, static (id, state) => new Activation(state.silo, id, state.registration), (silo, registration));
    }

    /// <summary>The grain interface registered for <paramref name="grainType"/>.</summary>
    public bool TryGetInterface(string grainType, out Proxies.GrainInterface grainInterface)
    {
        var found = registrations.TryGetValue(grainType, out var registration);
        grainInterface = registration?.Interface!;
        return found;
    }

    public bool TryGet(GrainId grain, out Activation activation) => activations.TryGetValue(grain, out activation!);

    public void Remove(Activation activation) => activations.TryRemove(new KeyValuePair<GrainId, Activation>(activation.GrainId, activation));
}
