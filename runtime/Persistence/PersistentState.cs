using System.Globalization;
using System.Text.Json;
using AgentGrains.Runtime.Activations;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Persistence;

/// <summary>The runtime's <see cref="IPersistentState{TState}"/>: JSON in one versioned row.</summary>
internal sealed class PersistentState<TState>(Activation activation, string name) : IPersistentState<TState>, IStagedStorage
    where TState : class, new()
{
    private long? version;
    private bool staged;
    private bool clear;

    public TState State { get; set; } = new();

    public string? Etag => version?.ToString(CultureInfo.InvariantCulture);

    public bool RecordExists => version is not null;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var stored = await activation.Storage.ReadStateAsync(activation.GrainId, name, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            version = null;
            State = new TState();
            return;
        }

        try
        {
            // A row that cannot be read is an error, never a silent default: defaulting would
            // overwrite the stored data at the next write.
            State = JsonSerializer.Deserialize<TState>(stored.Payload, RuntimeJson.Options)
                ?? throw new JsonException("the stored value is null");
        }
        catch (JsonException ex)
        {
            throw new StorageException(
                $"State '{name}' of grain {activation.GrainId} (version {stored.Version}) cannot be read as {typeof(TState).Name}: {ex.Message}",
                isTransient: false,
                ex);
        }

        version = stored.Version;
    }

    public Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        staged = false;
        return LoadAsync(cancellationToken);
    }

    public Task WriteStateAsync(CancellationToken cancellationToken = default) => Stage(clear: false, cancellationToken);

    public Task ClearStateAsync(CancellationToken cancellationToken = default) => Stage(clear: true, cancellationToken);

    private Task Stage(bool clear, CancellationToken cancellationToken)
    {
        this.clear = clear;
        if (clear)
        {
            State = new TState();
        }

        if (!staged)
        {
            staged = true;
            activation.Stage(this);
        }

        return activation.InTurn ? Task.CompletedTask : activation.CommitOutsideTurnAsync(cancellationToken);
    }

    public void Collect(List<StateWrite> states, List<LogAppend> appends)
    {
        if (!staged)
        {
            return;
        }

        var payload = clear ? null : JsonSerializer.Serialize(State, RuntimeJson.Options);
        states.Add(new StateWrite(name, payload, version));
    }

    public void Committed(IEnumerator<long> versions)
    {
        if (!staged)
        {
            return;
        }

        versions.MoveNext();
        version = clear ? null : versions.Current;
        staged = false;
        clear = false;
    }
}
