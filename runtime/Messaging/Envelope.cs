using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Messaging;

/// <summary>A durable call queued at its activation: its idempotency key and the pending inbox write.</summary>
/// <remarks>
/// The envelope is queued at the activation in call order at once, while the inbox row is still
/// committing; the activation awaits <see cref="Accepted"/> before running it, so a message is
/// never processed before it is durable, and the order of calls is the order of processing.
/// </remarks>
internal sealed record Envelope(string IdempotencyKey, Task<EnqueueResult> Accepted);
