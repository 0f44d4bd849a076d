using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Json.Pointer;
using Json.Schema;
using Json.Schema.Keywords;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Tools;

/// <summary>Checks a model's tool arguments against the tool's JSON schema with JsonSchema.Net and names every problem.</summary>
/// <remarks>
/// <para>JsonSchema.Net (draft 2020-12) decides what is valid: <c>type</c> and nullable unions, <c>enum</c>,
/// <c>required</c>, <c>properties</c>, <c>additionalProperties</c>, <c>items</c>, <c>$ref</c>, the ranges and lengths
/// that <c>[Range]</c>, <c>[StringLength]</c>, <c>[MinLength]</c>, <c>[MaxLength]</c> and <c>[RegularExpression]</c>
/// put in a generated schema, and every other assertion keyword. <c>format</c> and <c>default</c> are
/// annotations: the binder decides what a date or a URI is. This class only phrases the results for the
/// model, naming the argument and what is wrong.</para>
/// <para>Two rules go beyond JSON Schema, so that a call that passes is a call the binder takes:</para>
/// <list type="bullet">
/// <item>An integer is a JSON number written without a fraction or exponent: System.Text.Json binds
/// <c>3</c> to an integer parameter and refuses <c>3.0</c>, which JSON Schema counts as an integer.</item>
/// <item>An object schema with <c>properties</c> and no <c>additionalProperties</c> refuses other
/// properties (<see cref="AIJsonSchemaTransformOptions.DisallowAdditionalProperties"/>): the binder would
/// drop them silently, and the model should learn it misspelt a name.</item>
/// </list>
/// <para>A schema JsonSchema.Net cannot read is not checked; the binder still refuses what it cannot convert.</para>
/// </remarks>
internal static class ToolArgumentValidator
{
    // Enough for a model to fix its call; more only makes the error message longer than the call.
    private const int MaxProblems = 20;

    private static readonly AIJsonSchemaTransformOptions Closed = new() { DisallowAdditionalProperties = true };

    private static readonly BuildOptions Build = new()
    {
        Dialect = Dialect.Draft202012.Without([TypeKeyword.Instance]).With([new BinderTypeKeyword()], id: new Uri("urn:agentgrains:tool-arguments")),
    };

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List };

    // Few distinct schemas (one per tool, specialist and handoff), each built once.
    private static readonly ConcurrentDictionary<string, CheckedSchema?> Schemas = new(StringComparer.Ordinal);

    // Building registers the schema with the build options' registry: one build at a time.
    private static readonly Lock BuildGate = new();

    /// <summary>The problems of <paramref name="arguments"/> (a JSON object) against <paramref name="schema"/>; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(JsonElement schema, JsonElement arguments)
    {
        if (Schemas.GetOrAdd(schema.GetRawText(), static (_, s) => Compile(s), schema) is not { } compiled)
        {
            return [];
        }

        var results = compiled.Schema.Evaluate(arguments, Evaluation);
        if (results.IsValid)
        {
            return [];
        }

        var problems = new List<string>();
        foreach (var detail in results.Details is { Count: > 0 } details ? details : [results])
        {
            foreach (var (keyword, message) in detail.Errors ?? [])
            {
                Describe(compiled.Source, arguments, detail.InstanceLocation, keyword, message, problems);
            }
        }

        if (problems.Count > MaxProblems)
        {
            var more = problems.Count - MaxProblems;
            problems.RemoveRange(MaxProblems, more);
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"and {more} more problems"));
        }

        return problems;
    }

    private static CheckedSchema? Compile(JsonElement schema)
    {
        try
        {
            var closed = AIJsonUtilities.TransformSchema(schema, Closed);
            lock (BuildGate)
            {
                return new CheckedSchema(JsonSchema.Build(closed, Build), closed);
            }
        }
        catch (Exception e) when (e is JsonSchemaException or ArgumentException or InvalidOperationException or PointerParseException)
        {
            return null;
        }
    }

    private static void Describe(JsonElement root, JsonElement arguments, JsonPointer location, string keyword, string message, List<string> problems)
    {
        var (path, value, node, parent) = Locate(root, arguments, location);
        switch (keyword)
        {
            case "type" when Has(node, "type", out var type):
                problems.Add($"{Name(path)} must be {DescribeType(type)}, not {DescribeValue(value)}");
                break;
            case "enum" when Has(node, "enum", out var allowed) && allowed.ValueKind == JsonValueKind.Array:
                var choices = string.Join(", ", allowed.EnumerateArray().Select(static a => a.GetRawText()));
                problems.Add($"{Name(path)} must be one of {choices}, not {value.GetRawText()}");
                break;
            case "required" when Has(node, "required", out var required) && required.ValueKind == JsonValueKind.Array && value.ValueKind == JsonValueKind.Object:
                foreach (var name in required.EnumerateArray().Select(static n => n.GetString()).OfType<string>())
                {
                    if (!value.TryGetProperty(name, out _))
                    {
                        problems.Add($"{Name(Join(path, name))} is required");
                    }
                }

                break;
            case "pattern" when Has(node, "pattern", out var pattern) && value.ValueKind == JsonValueKind.String:
                problems.Add($"{Name(path)} must match the pattern {pattern.GetString()}, not {value.GetRawText()}");
                break;
            case "" when parent is { } owner:
                // The false schema of additionalProperties: a property the schema does not declare.
                var known = Has(owner.Schema, "properties", out var properties) && properties.ValueKind == JsonValueKind.Object
                    ? string.Join(", ", properties.EnumerateObject().Select(static p => p.Name))
                    : string.Empty;
                var list = known.Length == 0 ? "none" : known;
                problems.Add(owner.Path is null
                    ? $"{Name(path)} is not a parameter (parameters: {list})"
                    : $"{Name(path)} is not a property of {Name(owner.Path)} (properties: {list})");
                break;
            default:
                problems.Add($"{Name(path)}: {message}");
                break;
        }
    }

    // The argument at an instance location, its name for the model, and the schema that applies to it
    // (and to its parent object). The generated schemas mirror the arguments' shape: properties,
    // items, additionalProperties and local $refs lead from one to the other.
    private static (string? Path, JsonElement Value, JsonElement Schema, (string? Path, JsonElement Schema)? Parent) Locate(JsonElement root, JsonElement arguments, JsonPointer location)
    {
        string? path = null;
        var value = arguments;
        var schema = Resolve(root, root);
        (string? Path, JsonElement Schema)? parent = null;
        for (var i = 0; i < location.SegmentCount; i++)
        {
            var segment = location[i].ToString();
            parent = (path, schema);
            if (value.ValueKind == JsonValueKind.Array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                path = string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");
                value = index < value.GetArrayLength() ? value[index] : default;
                schema = Resolve(root, Child(schema, "items", null));
            }
            else
            {
                path = Join(path, segment);
                value = value.ValueKind == JsonValueKind.Object && value.TryGetProperty(segment, out var property) ? property : default;
                schema = Resolve(root, Child(schema, "properties", segment) ?? Child(schema, "additionalProperties", null));
            }
        }

        return (path, value, schema, parent);
    }

    // A keyword of a schema object; false for a boolean schema, or where no schema was found (anyOf branches are not followed).
    private static bool Has(JsonElement schema, string keyword, out JsonElement value)
    {
        value = default;
        return schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty(keyword, out value);
    }

    private static JsonElement? Child(JsonElement schema, string keyword, string? name) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty(keyword, out var child)
            ? name is null ? child : child.ValueKind == JsonValueKind.Object && child.TryGetProperty(name, out var named) ? named : null
            : null;

    private static JsonElement Resolve(JsonElement root, JsonElement? schema)
    {
        var current = schema ?? default;
        // Local references only ("#/properties/..."), as System.Text.Json's exporter writes them; bounded against cycles.
        for (var hops = 0; hops < 32 && current.ValueKind == JsonValueKind.Object && current.TryGetProperty("$ref", out var reference)
            && reference.GetString() is ['#', .. var pointer] && JsonPointer.TryParse(pointer, out var target) && target.Evaluate(root) is { } resolved; hops++)
        {
            current = resolved;
        }

        return current;
    }

    private static string DescribeType(JsonElement type)
    {
        var names = type.ValueKind == JsonValueKind.Array
            ? [.. type.EnumerateArray().Select(static t => t.GetString() ?? "?")]
            : new[] { type.GetString() ?? "?" };
        var described = names.Select(static n => n switch
        {
            "integer" => "an integer",
            "object" => "an object",
            "array" => "an array",
            "null" => "null",
            _ => "a " + n,
        }).ToList();
        return described.Count == 1 ? described[0] : string.Join(", ", described[..^1]) + " or " + described[^1];
    }

    private static string DescribeValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "the number " + value.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };

    private static string Join(string? path, string name) => path is null ? name : path + "." + name;

    private static string Name(string? path) => path is null ? "the arguments" : $"'{path}'";

    private sealed record CheckedSchema(JsonSchema Schema, JsonElement Source);

    /// <summary>JSON Schema's <c>type</c>, except that an integer must be written as one (<c>3</c>, not <c>3.0</c> or <c>3e0</c>).</summary>
    private sealed class BinderTypeKeyword : IKeywordHandler
    {
        public string Name => TypeKeyword.Instance.Name;

        public object? ValidateKeywordValue(JsonElement value) => TypeKeyword.Instance.ValidateKeywordValue(value);

        public void BuildSubschemas(KeywordData keyword, BuildContext context) => TypeKeyword.Instance.BuildSubschemas(keyword, context);

        public KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context)
        {
            var result = TypeKeyword.Instance.Evaluate(keyword, context);
            var instance = context.Instance;
            if (result.IsValid
                && instance.ValueKind == JsonValueKind.Number
                && keyword.Value is SchemaValueType expected
                && (expected & SchemaValueType.Number) == 0
                && instance.GetRawText().AsSpan().IndexOfAny('.', 'e', 'E') >= 0)
            {
                return new KeywordEvaluation { Keyword = Name, IsValid = false, Error = $"{instance.GetRawText()} is not written as an integer" };
            }

            return result;
        }
    }
}
