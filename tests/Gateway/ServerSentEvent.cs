namespace AgentGrains.Tests.Gateway;

/// <summary>One event as received on the wire.</summary>
/// <param name="Id">The <c>id:</c> field's first part: the run's own journal position.</param>
/// <param name="Type">The <c>event:</c> field.</param>
/// <param name="Data">The <c>data:</c> field (JSON).</param>
/// <param name="Cursor">The whole <c>id:</c> field (with the positions of specialist runs, once they sent events).</param>
public sealed record ServerSentEvent(long Id, string Type, string Data, string Cursor);
