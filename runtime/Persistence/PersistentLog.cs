using System.Text.Json;
using AgentGrains.Runtime.Activations;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Persistence;

/// <summary>The runtime's <see cref="IPersistentLog{TEntry}"/>: one row per entry, appended with the turn.</summary>
internal sealed class PersistentLog<TEntry>(Activation activation, string stream) : IPersistentLog<TEntry>, IStagedStorage
{
    private readonly List<TEntry> pending = [];
    private long committed;

    public long Count => committed + pending.Count;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        pending.Clear();
        committed = await activation.Storage.ReadLogCountAsync(activation.GrainId, stream, cancellationToken).ConfigureAwait(false);
    }

    public long Append(TEntry entry)
    {
        if (!activation.InTurn)
        {
            throw new InvalidOperationException($"Log '{stream}' of grain {activation.GrainId} can only be appended to inside a durable turn (a non-read-only grain method).");
        }

        if (pending.Count == 0)
        {
            activation.Stage(this);
        }

        pending.Add(entry);
        return Count - 1;
    }

    public async Task<IReadOnlyList<TEntry>> ReadAsync(long fromSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromSequence);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        var result = new List<TEntry>(Math.Min(maxCount, 256));
        if (fromSequence < committed && maxCount > 0)
        {
            var stored = await activation.Storage.ReadLogAsync(activation.GrainId, stream, fromSequence, (int)Math.Min(maxCount, committed - fromSequence), cancellationToken).ConfigureAwait(false);
            foreach (var payload in stored)
            {
                result.Add(Deserialize(payload));
            }
        }

        var start = (int)Math.Max(0, fromSequence - committed);
        for (var i = start; i < pending.Count && result.Count < maxCount; i++)
        {
            result.Add(pending[i]);
        }

        return result;
    }

    public void Collect(List<StateWrite> states, List<LogAppend> appends)
    {
        for (var i = 0; i < pending.Count; i++)
        {
            appends.Add(new LogAppend(stream, committed + i, JsonSerializer.Serialize(pending[i], RuntimeJson.Options)));
        }
    }

    public void Committed(IEnumerator<long> versions)
    {
        committed += pending.Count;
        pending.Clear();
    }

    private TEntry Deserialize(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<TEntry>(payload, RuntimeJson.Options)!;
        }
        catch (JsonException ex)
        {
            throw new StorageException($"An entry of log '{stream}' of grain {activation.GrainId} cannot be read as {typeof(TEntry).Name}: {ex.Message}", isTransient: false, ex);
        }
    }
}
