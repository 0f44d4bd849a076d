using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace AgentGrains.Runtime.Proxies;

/// <summary>A grain interface: its grain type name and its methods, computed once per interface.</summary>
internal sealed class GrainInterface
{
    private static readonly ConcurrentDictionary<Type, GrainInterface> Cache = new();

    private readonly Dictionary<MethodInfo, GrainMethod> byMethod = [];
    private readonly Dictionary<string, GrainMethod> byKey = new(StringComparer.Ordinal);

    private GrainInterface(Type type)
    {
        if (!type.IsInterface || !typeof(IGrain).IsAssignableFrom(type))
        {
            throw new ArgumentException($"{type.FullName} is not a grain interface (an interface deriving from IGrainWithStringKey).", nameof(type));
        }

        Type = type;
        GrainType = type.GetCustomAttribute<GrainTypeAttribute>()?.Name ?? DeriveName(type);
        foreach (var iface in type.GetInterfaces().Append(type))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var method in iface.GetMethods())
            {
                if (!seen.Add(method.Name))
                {
                    throw new NotSupportedException(
                        $"{iface.Name}.{method.Name} is overloaded; grain interface methods must have unique names because the name is stored with each message.");
                }

                var grainMethod = GrainMethod.Create(method);
                byMethod.Add(method, grainMethod);
                byKey.Add(grainMethod.Key, grainMethod);
            }
        }
    }

    /// <summary>The interface type.</summary>
    public Type Type { get; }

    /// <summary>The grain type name (first part of the grain id).</summary>
    public string GrainType { get; }

    /// <summary>All methods, including inherited grain interfaces'.</summary>
    public IEnumerable<GrainMethod> Methods => byKey.Values;

    /// <summary>The descriptor of grain interface <paramref name="type"/>.</summary>
    public static GrainInterface Of(Type type) => Cache.GetOrAdd(type, static t => new GrainInterface(t));

    /// <summary>The method called through the proxy.</summary>
    public GrainMethod this[MethodInfo method] => byMethod[method];

    /// <summary>Finds a method by its stored key.</summary>
    public bool TryGetMethod(string key, out GrainMethod method) => byKey.TryGetValue(key, out method!);

    private static string DeriveName(Type type)
    {
        // IAgentSessionGrain -> agent-session
        var name = type.Name;
        if (name.Length > 1 && name[0] == 'I' && char.IsUpper(name[1]))
        {
            name = name[1..];
        }

        if (name.EndsWith("Grain", StringComparison.Ordinal) && name.Length > "Grain".Length)
        {
            name = name[..^"Grain".Length];
        }

        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('-');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }
}
