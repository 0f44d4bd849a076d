using System.Text.RegularExpressions;

namespace AgentGrains.Grains.Showcase;

/// <summary>Turns text into the keywords the showcase search and the research planner compare.</summary>
/// <remarks>
/// Lower-cased words of letters and digits, common English words dropped, a plural <c>s</c> cut
/// (<c>leases</c> matches <c>lease</c>). Crude on purpose: it is deterministic and needs no data.
/// </remarks>
internal static partial class Keywords
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "before", "between", "both", "but", "by",
        "can", "could", "did", "do", "doe", "does", "each", "explain", "for", "from", "get", "give", "had", "has", "have", "how", "i", "if",
        "in", "into", "is", "it", "its", "me", "more", "my", "no", "not", "of", "on", "one", "or", "our", "please", "should", "so",
        "some", "tell", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "use", "used",
        "was", "we", "were", "what", "when", "where", "which", "while", "who", "why", "will", "with", "work", "would", "you", "your",
    };

    /// <summary>The keywords of <paramref name="text"/>, in order, repeats kept.</summary>
    public static IEnumerable<string> Of(string text) =>
        Word().Matches(text).Select(static m => Normalize(m.Value)).Where(static w => !StopWords.Contains(w));

    /// <summary>The words of <paramref name="text"/> that carry a keyword, as written (lower-cased), for a readable query.</summary>
    public static IEnumerable<string> Words(string text) =>
        Word().Matches(text).Select(static m => m.Value.ToLowerInvariant()).Where(static w => !StopWords.Contains(Normalize(w)));

    private static string Normalize(string word)
    {
        var lower = word.ToLowerInvariant();
        return lower.Length > 3 && lower.EndsWith('s') && !lower.EndsWith("ss", StringComparison.Ordinal) ? lower[..^1] : lower;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+", RegexOptions.CultureInvariant)]
    private static partial Regex Word();
}
