using System.ComponentModel;
using Orleans;

namespace AgentGrains.GrainInterfaces.Specialists;

/// <summary>What a manager asks the <c>analyst</c> specialist: a report answering a question from search findings only.</summary>
/// <param name="Question">The user's question, as asked.</param>
/// <param name="Findings">Every finding to write from, de-duplicated by document; the report cites only these.</param>
/// <remarks>The analyst's answer is the report as plain text, each claim followed by a citation such as <c>[idempotency-keys]</c>.</remarks>
[GenerateSerializer]
[Alias("agentgrains.AnalysisRequest")]
public sealed record AnalysisRequest(
    [property: Description("The user's question, as asked.")]
    string Question,
    [property: Description("All findings from the searches, one or more per document, without duplicates. The report may use only these.")]
    IReadOnlyList<Finding> Findings);
