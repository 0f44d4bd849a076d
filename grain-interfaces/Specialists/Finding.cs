using System.ComponentModel;
using Orleans;

namespace AgentGrains.GrainInterfaces.Specialists;

/// <summary>One passage of a corpus document that bears on a search.</summary>
/// <param name="DocumentId">The document's id (its file name without extension), which a report cites as <c>[id]</c>.</param>
/// <param name="Title">The document's title.</param>
/// <param name="Excerpt">The sentence of the document that best matches the search, quoted as is.</param>
[GenerateSerializer]
[Alias("agentgrains.Finding")]
public sealed record Finding(
    [property: Description("The corpus document's id, e.g. \"idempotency-keys\"; cite it as [idempotency-keys].")]
    string DocumentId,
    [property: Description("The document's title.")]
    string Title,
    [property: Description("The sentence of the document that best matches the search, quoted exactly.")]
    string Excerpt);
