using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Messaging;

/// <summary>How a durable call ended, as every caller waiting on its idempotency key sees it.</summary>
/// <param name="Status">Succeeded or failed; <see cref="InboxStatus.Pending"/> with <paramref name="LocalError"/> when the call never reached the grain.</param>
/// <param name="Result">The result as stored (JSON), for a success.</param>
/// <param name="Error">The error as stored (JSON), for a failure.</param>
/// <param name="LocalError">An error raised before processing (storage down, silo stopping).</param>
internal sealed record Completion(InboxStatus Status, string? Result, string? Error, Exception? LocalError);
