using System.Globalization;
using System.Text.Json;

namespace AgentGrains.Cli.Rendering;

/// <summary>Small formatting helpers shared by the commands.</summary>
internal static class Format
{
    /// <summary>One line of at most <paramref name="max"/> characters: newlines become spaces, the rest is cut with an ellipsis.</summary>
    public static string OneLine(string? text, int max = 160)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= max ? line : string.Concat(line.AsSpan(0, max - 1), "…");
    }

    public static string Duration(double? milliseconds) => milliseconds switch
    {
        null => "-",
        < 1 => $"{milliseconds.Value.ToString("0.##", CultureInfo.InvariantCulture)} ms",
        < 1000 => $"{milliseconds.Value.ToString("0", CultureInfo.InvariantCulture)} ms",
        < 60_000 => $"{(milliseconds.Value / 1000).ToString("0.0", CultureInfo.InvariantCulture)} s",
        _ => TimeSpan.FromMilliseconds(milliseconds.Value).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture),
    };

    public static string Tokens(long tokens) => tokens.ToString("N0", CultureInfo.InvariantCulture);

    public static string Cost(decimal? cost) => cost is { } value ? "$" + value.ToString("0.0000", CultureInfo.InvariantCulture) : "no price";

    public static string Age(DateTimeOffset at, DateTimeOffset now)
    {
        var age = now - at;
        return age < TimeSpan.Zero ? "just now" : age.TotalSeconds < 60
            ? $"{age.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s ago"
            : age.TotalMinutes < 60 ? $"{age.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} min ago"
            : at.ToString("u", CultureInfo.InvariantCulture);
    }

    /// <summary>The string value of a top-level property of a JSON object text; null when it is not there.</summary>
    public static string? JsonString(string? json, string property)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(property, out var value)
                && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
