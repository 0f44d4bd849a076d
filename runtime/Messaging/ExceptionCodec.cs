using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentGrains.Runtime.Messaging;

/// <summary>Stores a grain method's exception as JSON and turns it back into an exception for every caller.</summary>
/// <remarks>
/// Only <see cref="AgentGrainsException"/> subclasses and a few argument/state exceptions come
/// back as themselves; the type name is looked up, never trusted to load arbitrary code.
/// Anything else becomes a <see cref="GrainInvocationException"/> naming the original type.
/// </remarks>
internal static class ExceptionCodec
{
    private static readonly Dictionary<string, Func<string, Exception>> WellKnown = new(StringComparer.Ordinal)
    {
        [typeof(ArgumentException).FullName!] = m => new ArgumentException(m),
        [typeof(ArgumentNullException).FullName!] = m => new ArgumentException(m),
        [typeof(ArgumentOutOfRangeException).FullName!] = m => new ArgumentException(m),
        [typeof(InvalidOperationException).FullName!] = m => new InvalidOperationException(m),
        [typeof(NotSupportedException).FullName!] = m => new NotSupportedException(m),
        [typeof(KeyNotFoundException).FullName!] = m => new KeyNotFoundException(m),
        [typeof(TimeoutException).FullName!] = m => new TimeoutException(m),
    };

    public static string Encode(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var type = exception.GetType();
        return JsonSerializer.Serialize(new StoredError(type.FullName ?? type.Name, type.Assembly.GetName().Name, exception.Message), RuntimeJson.Options);
    }

    public static Exception Decode(string json)
    {
        StoredError? error;
        try
        {
            error = JsonSerializer.Deserialize<StoredError>(json, RuntimeJson.Options);
        }
        catch (JsonException)
        {
            error = null;
        }

        if (error is null)
        {
            return new GrainInvocationException("The grain call failed; its stored error cannot be read.");
        }

        if (WellKnown.TryGetValue(error.Type, out var create))
        {
            return create(error.Message);
        }

        if (error.Assembly is not null)
        {
            var type = Type.GetType($"{error.Type}, {error.Assembly}", throwOnError: false);
            if (type is not null && typeof(AgentGrainsException).IsAssignableFrom(type) && !type.IsAbstract
                && type.GetConstructor([typeof(string)]) is { } constructor)
            {
                return (Exception)constructor.Invoke([error.Message]);
            }
        }

        return new GrainInvocationException(error.Type, error.Message);
    }

    private sealed record StoredError(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("assembly")] string? Assembly,
        [property: JsonPropertyName("message")] string Message);
}
