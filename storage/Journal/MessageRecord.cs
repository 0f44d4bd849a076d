namespace AgentGrains.Storage.Journal;

/// <summary>The idempotency record of one accepted message: stored in the commit that accepted it.</summary>
/// <param name="Key">The message's idempotency key (unique per session).</param>
/// <param name="Request">What was asked (a fingerprint of the body), so a key reused for another request is told apart.</param>
/// <param name="Outcome">What the first attempt answered, returned to every retry.</param>
public sealed record MessageRecord(string Key, string Request, string Outcome);
