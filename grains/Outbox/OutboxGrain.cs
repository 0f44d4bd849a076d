using AgentGrains.GrainInterfaces.Outbox;

namespace AgentGrains.Grains.Outbox;

/// <summary>The cluster's outbox: the newest <see cref="Capacity"/> messages agents sent, in Orleans grain state.</summary>
/// <remarks>
/// A plain Orleans grain with persistent state (the silo's grain storage: the SQLite file, or
/// PostgreSQL through Orleans' ADO.NET provider). A message is acknowledged only after the state
/// holding it is written, and a repeated key returns the kept message without writing, so a tool
/// call invoked again after a crash delivers once.
/// </remarks>
internal sealed class OutboxGrain([PersistentState("outbox")] IPersistentState<OutboxState> state) : Grain, IOutboxGrain
{
    /// <summary>How many messages are kept; older ones are dropped as new ones arrive.</summary>
    public const int Capacity = 200;

    public async Task<OutboxMessage> SendAsync(OutboxMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var messages = state.State.Messages;
        if (messages.Find(m => m.IdempotencyKey == message.IdempotencyKey) is { } kept)
        {
            return kept;
        }

        messages.Add(message);
        if (messages.Count > Capacity)
        {
            messages.RemoveRange(0, messages.Count - Capacity);
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored, so not sent: the next call sees the outbox as it is stored.
            messages.Remove(message);
            throw;
        }

        return message;
    }

    public Task<IReadOnlyList<OutboxMessage>> ListAsync() =>
        Task.FromResult<IReadOnlyList<OutboxMessage>>([.. Enumerable.Reverse(state.State.Messages)]);
}

/// <summary>The outbox's stored state: its messages, oldest first.</summary>
[GenerateSerializer]
[Alias("agentgrains.OutboxState")]
public sealed class OutboxState
{
    /// <summary>The kept messages, oldest first.</summary>
    [Id(0)]
    public List<OutboxMessage> Messages { get; set; } = [];
}
