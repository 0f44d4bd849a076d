namespace AgentGrains.Runtime.Persistence;

/// <summary>Marks a grain constructor parameter of type <see cref="IPersistentState{TState}"/> and names its state.</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class PersistentStateAttribute(string name) : Attribute
{
    /// <summary>The state's name, unique within the grain.</summary>
    public string Name { get; } = name;
}
