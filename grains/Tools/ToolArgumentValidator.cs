using System.Globalization;
using System.Text.Json;

namespace AgentGrains.Grains.Tools;

/// <summary>Checks a model's tool arguments against the tool's JSON schema and names every problem.</summary>
/// <remarks>
/// <para>Written here because JsonSchema.Net does not restore from this project's registry, and the
/// schemas are the small subset <see cref="Microsoft.Extensions.AI.AIFunctionFactory"/> emits:
/// <c>type</c> (a name or a list, e.g. <c>["string","null"]</c> for a nullable parameter),
/// <c>enum</c>, <c>properties</c>, <c>required</c>, <c>additionalProperties</c> and <c>items</c>.
/// Other keywords (<c>anyOf</c>, <c>$ref</c>, <c>pattern</c>, ranges…) are not checked; the binder
/// still refuses what it cannot convert, only with a less helpful message.</para>
/// <para>An integer is a JSON number written without a fraction or exponent: that is what
/// System.Text.Json binds to an integer parameter (it refuses <c>3.0</c>), so the check and the
/// binder agree.</para>
/// <para>Properties not in <c>properties</c> are refused unless <c>additionalProperties</c> allows
/// them: the binder would drop them silently, and the model should learn it misspelt a name.</para>
/// </remarks>
internal static class ToolArgumentValidator
{
    // Enough for a model to fix its call; more only makes the error message longer than the call.
    private const int MaxProblems = 20;

    /// <summary>The problems of <paramref name="arguments"/> (a JSON object) against <paramref name="schema"/>, in document order; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(JsonElement schema, JsonElement arguments)
    {
        var problems = new List<string>();
        Check(schema, arguments, path: null, problems);
        if (problems.Count > MaxProblems)
        {
            var more = problems.Count - MaxProblems;
            problems.RemoveRange(MaxProblems, more);
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"and {more} more problems"));
        }

        return problems;
    }

    private static void Check(JsonElement schema, JsonElement value, string? path, List<string> problems)
    {
        if (schema.ValueKind == JsonValueKind.False)
        {
            problems.Add($"{Name(path)} is not allowed");
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            // true, or a malformed schema: nothing to check against.
            return;
        }

        if (schema.TryGetProperty("type", out var type) && !MatchesType(type, value))
        {
            problems.Add($"{Name(path)} must be {DescribeType(type)}, not {DescribeValue(value)}");
            return;
        }

        if (schema.TryGetProperty("enum", out var allowed) && allowed.ValueKind == JsonValueKind.Array
            && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
        {
            var choices = string.Join(", ", allowed.EnumerateArray().Select(static a => a.GetRawText()));
            problems.Add($"{Name(path)} must be one of {choices}, not {value.GetRawText()}");
            return;
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            CheckObject(schema, value, path, problems);
        }
        else if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(items, item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]"), problems);
                index++;
            }
        }
    }

    private static void CheckObject(JsonElement schema, JsonElement value, string? path, List<string> problems)
    {
        var hasProperties = schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object;
        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray())
            {
                if (name.GetString() is { } requiredName && !value.TryGetProperty(requiredName, out _))
                {
                    problems.Add($"{Name(Join(path, requiredName))} is required");
                }
            }
        }

        var hasAdditional = schema.TryGetProperty("additionalProperties", out var additional);
        foreach (var property in value.EnumerateObject())
        {
            var propertyPath = Join(path, property.Name);
            if (hasProperties && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                Check(propertySchema, property.Value, propertyPath, problems);
            }
            else if (hasAdditional && additional.ValueKind != JsonValueKind.False)
            {
                Check(additional, property.Value, propertyPath, problems);
            }
            else if (hasProperties || hasAdditional)
            {
                var known = hasProperties ? string.Join(", ", properties.EnumerateObject().Select(static p => p.Name)) : string.Empty;
                var list = known.Length == 0 ? "none" : known;
                problems.Add(path is null
                    ? $"{Name(propertyPath)} is not a parameter (parameters: {list})"
                    : $"{Name(propertyPath)} is not a property of {Name(path)} (properties: {list})");
            }
        }
    }

    private static bool MatchesType(JsonElement type, JsonElement value) => type.ValueKind switch
    {
        JsonValueKind.String => Matches(type.GetString(), value),
        JsonValueKind.Array => type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && Matches(t.GetString(), value)),
        _ => true,
    };

    private static bool Matches(string? type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && IsInteger(value),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "null" => value.ValueKind == JsonValueKind.Null,
        // A type this checker does not know: do not refuse a call over it.
        _ => true,
    };

    private static bool IsInteger(JsonElement number) => number.GetRawText().AsSpan().IndexOfAny('.', 'e', 'E') < 0;

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
}
