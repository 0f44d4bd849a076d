namespace AgentGrains.Runtime.Persistence;

/// <summary>Marks a grain constructor parameter of type <see cref="IPersistentLog{TEntry}"/> and names its stream.</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class PersistentLogAttribute(string name) : Attribute
{
    /// <summary>The log's stream name, unique within the grain.</summary>
    public string Name { get; } = name;
}
