using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>What submitting a user message did.</summary>
/// <param name="RunId">The run that will answer it.</param>
/// <param name="Status"><c>running</c>, or <c>queued</c> behind the session's active run.</param>
[GenerateSerializer]
[Alias("agentgrains.RunSubmission")]
public sealed record RunSubmission(string RunId, string Status);
