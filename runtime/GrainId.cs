namespace AgentGrains.Runtime;

/// <summary>The identity of a grain: its type name and its key, rendered <c>type/key</c>.</summary>
/// <remarks>
/// A grain id names exactly one virtual actor for ever; it never depends on where the grain
/// is activated. The type contains no '/', so the first '/' separates type from key.
/// </remarks>
public readonly record struct GrainId
{
    /// <summary>Creates a grain id.</summary>
    /// <exception cref="ArgumentException">The type is empty or contains '/', or the key is empty.</exception>
    public GrainId(string type, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (type.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Grain type '{type}' must not contain '/'.", nameof(type));
        }

        Type = type;
        Key = key;
    }

    /// <summary>The grain type name, e.g. <c>agent-session</c>.</summary>
    public string Type { get; }

    /// <summary>The grain key within its type.</summary>
    public string Key { get; }

    /// <summary>Parses the <c>type/key</c> form produced by <see cref="ToString"/>.</summary>
    public static GrainId Parse(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == value.Length - 1)
        {
            throw new FormatException($"'{value}' is not a grain id; expected 'type/key'.");
        }

        return new GrainId(value[..slash], value[(slash + 1)..]);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Type}/{Key}";
}
