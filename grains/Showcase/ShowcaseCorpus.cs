using System.Reflection;
using System.Text.RegularExpressions;

namespace AgentGrains.Grains.Showcase;

/// <summary>The showcase corpus: short Markdown documents embedded in this assembly, and a keyword search over them.</summary>
/// <remarks>
/// <para>Documents are <c>Showcase/Corpus/*.md</c>, embedded as resources; the first line is
/// <c># Title</c>. They are read once, on first use, and never change afterwards.</para>
/// <para>A document scores the query keywords it contains, each weighted by its rarity (the
/// number of documents plus one, minus the number of documents containing it) and counted twice
/// when it is in the title; ties go to more keyword occurrences, then to the smaller id, so a query
/// always returns the same documents in the same order. Documents without any keyword are never
/// returned. The excerpt is the sentence whose distinct keywords weigh most, the earliest on a tie.</para>
/// </remarks>
internal static partial class ShowcaseCorpus
{
    /// <summary>How many documents a search returns at most.</summary>
    public const int MaxHits = 3;

    private const string ResourcePrefix = "AgentGrains.Grains.Showcase.Corpus.";

    // An excerpt longer than this is cut: a search result is a pointer into the document, not the document.
    private const int MaxExcerptLength = 280;

    private static readonly Lazy<IReadOnlyList<CorpusDocument>> Loaded = new(Load);

    /// <summary>Every document, by id.</summary>
    public static IReadOnlyList<CorpusDocument> Documents => Loaded.Value;

    /// <summary>The documents that best match <paramref name="query"/>, best first, each with its best matching sentence.</summary>
    public static IReadOnlyList<CorpusHit> Search(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var keywords = Keywords.Of(query).Distinct(StringComparer.Ordinal).ToList();

        // A keyword found in few documents tells them apart better than one found in all ("fencing" against "agent").
        var rarity = keywords.ToDictionary(
            static k => k,
            static k => Documents.Count + 1 - Documents.Count(d => d.Contains(k)),
            StringComparer.Ordinal);
        return
        [
            .. Documents
                .Select(d => (Document: d, Score: keywords.Where(d.Contains).Sum(k => rarity[k] * (d.TitleKeywords.Contains(k) ? 2 : 1)), Occurrences: d.BodyKeywords.Count(rarity.ContainsKey)))
                .Where(static s => s.Score > 0)
                .OrderByDescending(static s => s.Score)
                .ThenByDescending(static s => s.Occurrences)
                .ThenBy(static s => s.Document.Id, StringComparer.Ordinal)
                .Take(MaxHits)
                .Select(s => new CorpusHit(s.Document.Id, s.Document.Title, Excerpt(s.Document, rarity))),
        ];
    }

    private static string Excerpt(CorpusDocument document, Dictionary<string, int> rarity)
    {
        // The sentence whose distinct keywords weigh most; the earliest on a tie.
        var best = document.Sentences
            .Select((sentence, index) => (Sentence: sentence, Index: index, Weight: Keywords.Of(sentence).Distinct(StringComparer.Ordinal).Sum(k => rarity.GetValueOrDefault(k))))
            .OrderByDescending(static s => s.Weight)
            .ThenBy(static s => s.Index)
            .First().Sentence;
        return best.Length <= MaxExcerptLength ? best : string.Concat(best.AsSpan(0, MaxExcerptLength - 1).TrimEnd(), "…");
    }

    private static List<CorpusDocument> Load()
    {
        var assembly = typeof(ShowcaseCorpus).Assembly;
        var documents = new List<CorpusDocument>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(static n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            documents.Add(Parse(resource[ResourcePrefix.Length..^3], Read(assembly, resource)));
        }

        return documents.Count > 0
            ? documents
            : throw new InvalidOperationException($"The showcase corpus is missing: no embedded resource starts with '{ResourcePrefix}'.");
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource '{resource}' cannot be opened.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static CorpusDocument Parse(string id, string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        if (lines.Length == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Corpus document '{id}' does not start with a '# Title' line.");
        }

        var body = string.Join(' ', lines.Skip(1).Where(static l => l.Length > 0));
        var sentences = SentenceEnd().Split(body).Select(static s => s.Trim()).Where(static s => s.Length > 0).ToList();
        var title = lines[0][2..].Trim();
        return new CorpusDocument(id, title, sentences)
        {
            TitleKeywords = Keywords.Of(title).ToHashSet(StringComparer.Ordinal),
            BodyKeywords = [.. sentences.SelectMany(Keywords.Of)],
        };
    }

    // A sentence ends at . ! ? followed by a space; abbreviations are avoided in the corpus rather than handled here.
    [GeneratedRegex(@"(?<=[.!?])\s+", RegexOptions.CultureInvariant)]
    private static partial Regex SentenceEnd();
}
