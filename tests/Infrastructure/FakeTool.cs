namespace AgentGrains.Tests.Infrastructure;

/// <summary>A function tool a client offered in a request (<c>tools[].function</c>).</summary>
/// <param name="Name">The function name.</param>
/// <param name="Description">The description, if sent.</param>
/// <param name="Parameters">The JSON schema of the parameters, raw, if sent.</param>
public sealed record FakeTool(string Name, string? Description, string? Parameters);
