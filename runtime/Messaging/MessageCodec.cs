using System.Buffers;
using System.Text;
using System.Text.Json;
using AgentGrains.Runtime.Proxies;

namespace AgentGrains.Runtime.Messaging;

/// <summary>Turns call arguments and results into the JSON stored in the inbox, and back.</summary>
/// <remarks>
/// Arguments are one JSON array, serialized with the declared parameter types so a stored
/// message reads back the same after a restart. A <see cref="CancellationToken"/> is never
/// stored: the caller's token bounds the caller's wait, and the grain gets the silo's.
/// </remarks>
internal static class MessageCodec
{
    public static string EncodeArguments(GrainMethod method, object?[] arguments)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < method.Parameters.Length; i++)
            {
                if (i == method.CancellationTokenIndex)
                {
                    writer.WriteNullValue();
                    continue;
                }

                JsonSerializer.Serialize(writer, arguments[i], method.Parameters[i], RuntimeJson.Options);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static object?[] DecodeArguments(string json, GrainMethod method, CancellationToken cancellationToken)
    {
        var arguments = new object?[method.Parameters.Length];
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"The stored arguments of {method.Key} are not a JSON array.");
        }

        for (var i = 0; i < arguments.Length; i++)
        {
            if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
            {
                throw new JsonException($"The stored arguments of {method.Key} have {i} values; the method takes {arguments.Length}.");
            }

            arguments[i] = i == method.CancellationTokenIndex
                ? cancellationToken
                : JsonSerializer.Deserialize(ref reader, method.Parameters[i], RuntimeJson.Options);
        }

        return arguments;
    }

    public static string? EncodeResult(object? value, Type? resultType) =>
        resultType is null ? null : JsonSerializer.Serialize(value, resultType, RuntimeJson.Options);

    public static object? DecodeResult(string? json, Type? resultType) =>
        resultType is null || json is null ? null : JsonSerializer.Deserialize(json, resultType, RuntimeJson.Options);
}
