using System.ComponentModel;
using Orleans;

namespace AgentGrains.GrainInterfaces.Specialists;

/// <summary>What a manager asks the <c>searcher</c> specialist: one focused search over the document corpus.</summary>
/// <param name="Query">A few keywords on one topic; a question with several topics is better split into several searches.</param>
[GenerateSerializer]
[Alias("agentgrains.SearchRequest")]
public sealed record SearchRequest(
    [property: Description("A few keywords on ONE topic, e.g. \"idempotency keys retries\"; split a question with several topics into several searches.")]
    string Query);
