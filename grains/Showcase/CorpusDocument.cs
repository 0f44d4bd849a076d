namespace AgentGrains.Grains.Showcase;

/// <summary>One document of the showcase corpus.</summary>
/// <param name="Id">The file name without extension, e.g. <c>idempotency-keys</c>; reports cite it as <c>[idempotency-keys]</c>.</param>
/// <param name="Title">The text of its <c># Title</c> line.</param>
/// <param name="Sentences">Its body, split into sentences, in order.</param>
internal sealed record CorpusDocument(string Id, string Title, IReadOnlyList<string> Sentences)
{
    /// <summary>The keywords of <see cref="Title"/>.</summary>
    public IReadOnlySet<string> TitleKeywords { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The keywords of the body, in order, repeats kept.</summary>
    public IReadOnlyList<string> BodyKeywords { get; init; } = [];

    /// <summary>Whether <paramref name="keyword"/> is in the title or the body.</summary>
    public bool Contains(string keyword) => TitleKeywords.Contains(keyword) || BodyKeywords.Contains(keyword);
}
