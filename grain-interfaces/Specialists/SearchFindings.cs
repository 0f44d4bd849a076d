using System.ComponentModel;
using Orleans;

namespace AgentGrains.GrainInterfaces.Specialists;

/// <summary>What the <c>searcher</c> specialist answers: the passages it found for one search, best first.</summary>
/// <param name="Query">The query that was searched.</param>
/// <param name="Findings">The passages found, best first; empty when nothing in the corpus matches.</param>
[GenerateSerializer]
[Alias("agentgrains.SearchFindings")]
public sealed record SearchFindings(
    [property: Description("The query that was searched.")]
    string Query,
    [property: Description("The passages found, best first; empty when nothing matched.")]
    IReadOnlyList<Finding> Findings);
