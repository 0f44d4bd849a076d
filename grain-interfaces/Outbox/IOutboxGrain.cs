using Orleans;

namespace AgentGrains.GrainInterfaces.Outbox;

/// <summary>The outbox the built-in <c>send_message</c> tool delivers to: a durable list of the messages agents sent, newest kept.</summary>
/// <remarks>
/// It stands in for a mail or chat service, so a tool with an effect a person can see (and must
/// approve first) works without one. There is one outbox per cluster, keyed <see cref="Key"/>.
/// </remarks>
[Alias("agentgrains.IOutboxGrain")]
public interface IOutboxGrain : IGrainWithStringKey
{
    /// <summary>The key of the cluster's outbox.</summary>
    public const string Key = "outbox";

    /// <summary>Keeps <paramref name="message"/>, once per idempotency key; a message whose key is already kept is not added again.</summary>
    /// <returns>The message as kept: the first one with that key.</returns>
    [Alias("SendAsync")]
    Task<OutboxMessage> SendAsync(OutboxMessage message);

    /// <summary>The messages kept, newest first.</summary>
    [Alias("ListAsync")]
    Task<IReadOnlyList<OutboxMessage>> ListAsync();
}
