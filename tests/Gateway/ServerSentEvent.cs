namespace AgentGrains.Tests.Gateway;

/// <summary>One event as received on the wire.</summary>
/// <param name="Id">The <c>id:</c> field.</param>
/// <param name="Type">The <c>event:</c> field.</param>
/// <param name="Data">The <c>data:</c> field (JSON).</param>
public sealed record ServerSentEvent(long Id, string Type, string Data);
