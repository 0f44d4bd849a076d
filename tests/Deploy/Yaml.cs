using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace AgentGrains.Tests.Deploy;

/// <summary>YAML documents (Kubernetes manifests, a compose file) as JSON nodes, merge keys (<c>&lt;&lt;: *anchor</c>) applied.</summary>
/// <remarks>Every scalar comes back as a string, as YAML wrote it: read numbers with <see cref="Int"/>.</remarks>
internal static class Yaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    /// <summary>Every non-empty document of <paramref name="text"/>.</summary>
    public static List<JsonObject> Documents(string text)
    {
        var parser = new MergingParser(new Parser(new StringReader(text)));
        parser.Consume<StreamStart>();
        var documents = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (ToJson(Deserializer.Deserialize<object?>(parser)) is JsonObject document)
            {
                documents.Add(document);
            }
        }

        return documents;
    }

    /// <summary>The one document of <paramref name="text"/>.</summary>
    public static JsonObject Document(string text) => Assert.Single(Documents(text));

    /// <summary>A scalar's text, or null when the node is missing.</summary>
    public static string? Text(JsonNode? node) => node?.GetValue<string>();

    /// <summary>A scalar read as an integer.</summary>
    public static int Int(JsonNode? node)
    {
        var text = Text(node);
        Assert.False(string.IsNullOrEmpty(text), $"expected a number at {node?.GetPath() ?? "a missing node"}");
        return int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The items of a sequence (none when it is missing).</summary>
    public static IEnumerable<JsonNode> Items(JsonNode? node) => node is JsonArray array ? array.Where(i => i is not null).Select(i => i!) : [];

    /// <summary>The entries of a mapping (none when it is missing).</summary>
    public static IEnumerable<KeyValuePair<string, JsonNode?>> Entries(JsonNode? node) => node is JsonObject map ? map : [];

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(e => KeyValuePair.Create(Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture)!, ToJson(e.Value)))),
        IEnumerable<object?> list when value is not string => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
    };
}
