using Orleans;

namespace AgentGrains.GrainInterfaces.Outbox;

/// <summary>A message an agent sent with the <c>send_message</c> tool, as the outbox keeps it.</summary>
/// <param name="To">Who it is for, as the agent wrote it.</param>
/// <param name="Text">What it says.</param>
/// <param name="SessionId">The session whose run sent it.</param>
/// <param name="RunId">The run that sent it.</param>
/// <param name="IdempotencyKey">The tool call's key: a call invoked again after a crash finds its message already here.</param>
/// <param name="SentAt">When the outbox took it.</param>
[GenerateSerializer]
[Alias("agentgrains.OutboxMessage")]
public sealed record OutboxMessage(
    string To,
    string Text,
    string SessionId,
    string RunId,
    string IdempotencyKey,
    DateTimeOffset SentAt);
