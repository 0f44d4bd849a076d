using System.Globalization;
using System.Text;

namespace AgentGrains.Storage.Memory;

/// <summary>Turns a search's free text (a user's or a model's words) into words, and those into each database's query language.</summary>
/// <remarks>
/// The text is never handed to a query parser as it is: only runs of letters and digits survive, so
/// no quote, operator, column filter, prefix star or keyword of FTS5 or <c>tsquery</c> can reach one.
/// A fact matches when it shares any word with the query (OR); the ranking puts facts sharing more,
/// or rarer, words first.
/// </remarks>
internal static class MemoryQuery
{
    /// <summary>At most this many words of a query are searched; the rest are ignored.</summary>
    public const int MaxWords = 32;

    // A word longer than this is not a word a fact shares; it only costs the index a lookup.
    private const int MaxWordLength = 64;

    /// <summary>The distinct lower-cased words of <paramref name="text"/>, in order, at most <see cref="MaxWords"/>.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var word = new StringBuilder();
        for (var i = 0; i <= text.Length && words.Count < MaxWords; i++)
        {
            if (i < text.Length && IsWordChar(text, i, out var width))
            {
                word.Append(text, i, width);
                i += width - 1;
                continue;
            }

            if (word.Length > 0)
            {
                var lower = word.ToString().ToLowerInvariant();
                if (lower.Length <= MaxWordLength && seen.Add(lower))
                {
                    words.Add(lower);
                }

                word.Clear();
            }
        }

        return words;
    }

    // English words that occur in almost every sentence: a fact sharing only these with a query is not
    // relevant to it. PostgreSQL's english text search configuration drops such words itself; FTS5 does
    // not, so the SQLite store drops these before it searches.
    private static readonly HashSet<string> StopWords = new(
        """
        a about above after again against all am an and any are as at be because been before being below between both but by
        can could did do does doing down during each few for from further had has have having he her here hers herself him
        himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
        our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
        these they this those through to too under until up very was we were what when where which while who whom why will
        with would you your yours yourself yourselves
        """.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries),
        StringComparer.Ordinal);

    /// <summary><paramref name="words"/> without the common English words that match almost every fact.</summary>
    public static IReadOnlyList<string> WithoutStopWords(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        return [.. words.Where(static w => !StopWords.Contains(w))];
    }

    /// <summary>An FTS5 query matching any of <paramref name="words"/>: each a quoted string, so it is a term, never an operator.</summary>
    public static string Fts5(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        // Words hold letters and digits only, so none holds a double quote to escape.
        return string.Join(" OR ", words.Select(static w => $"\"{w}\""));
    }

    /// <summary>A <c>to_tsquery</c> text matching any of <paramref name="words"/>: operands joined by <c>|</c>.</summary>
    /// <remarks>Letters and digits are never tsquery syntax (operators, parentheses, <c>:</c> weights, <c>*</c> prefixes, quotes are all ASCII punctuation).</remarks>
    public static string TsQuery(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        return string.Join(" | ", words);
    }

    /// <summary>Whether the character (or surrogate pair) at <paramref name="index"/> is a letter or digit; <paramref name="width"/> is its length in chars.</summary>
    private static bool IsWordChar(string text, int index, out int width)
    {
        width = char.IsSurrogatePair(text, index) ? 2 : 1;
        var category = CharUnicodeInfo.GetUnicodeCategory(text, index);
        return category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }
}
