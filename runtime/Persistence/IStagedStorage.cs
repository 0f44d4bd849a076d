using AgentGrains.Runtime.Storage;

namespace AgentGrains.Runtime.Persistence;

/// <summary>A piece of grain storage (state or log) that loads at activation and stages writes in turns.</summary>
internal interface IStagedStorage
{
    /// <summary>Reads the stored value at activation.</summary>
    Task LoadAsync(CancellationToken cancellationToken);

    /// <summary>Adds this piece's staged writes to a commit being built.</summary>
    void Collect(List<StateWrite> states, List<LogAppend> appends);

    /// <summary>Applies the outcome after the commit succeeded; <paramref name="versions"/> holds new versions in collection order.</summary>
    void Committed(IEnumerator<long> versions);
}
