namespace AgentGrains.Runtime.Cluster;

/// <summary>The outcome of a forwarded read-only call: the result as JSON, or the error as the inbox stores errors.</summary>
public sealed record ReadOnlyResponse(string? Result, string? Error);
