namespace AgentGrains.Grains.Showcase;

/// <summary>One document of the showcase corpus.</summary>
/// <param name="Id">The file name without extension, e.g. <c>idempotency-keys</c>; reports cite it as <c>[idempotency-keys]</c>.</param>
/// <param name="Title">The text of its <c># Title</c> line.</param>
/// <param name="Sentences">Its body, split into sentences, in order.</param>
internal sealed record CorpusDocument(string Id, string Title, IReadOnlyList<string> Sentences);
