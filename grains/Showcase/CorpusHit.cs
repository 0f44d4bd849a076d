namespace AgentGrains.Grains.Showcase;

/// <summary>One result of <c>corpus_search</c>, as its JSON reaches the model.</summary>
/// <param name="Id">The document id.</param>
/// <param name="Title">The document title.</param>
/// <param name="Excerpt">The sentence that matches the query best.</param>
internal sealed record CorpusHit(string Id, string Title, string Excerpt);
