using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace AgentGrains.Storage.Orleans;

/// <summary>
/// Gives Orleans' ADO.NET grain storage the whole grain id, so each grain's state has a row of its own.
/// </summary>
/// <remarks>
/// <para>
/// <c>AdoNetGrainStorage</c> (10.4.2) keys a state by service, state name and the grain's key alone,
/// never its type: grains of two types with the same key and state name would share one row
/// (dotnet/orleans#8746, #9737). It also reads a string key as a hexadecimal integer or a Guid when it
/// parses as one, so <c>"abc"</c>, <c>"ABC"</c> and <c>"0abc"</c> collide (dotnet/orleans#9706).
/// </para>
/// <para>
/// This decorator hands the provider a grain id whose key is <see cref="KeyPrefix"/> followed by the
/// original id's <c>type/key</c> text, the form Orleans itself stores for reminders. A key that starts
/// with a character that is not a hexadecimal digit parses as neither an integer nor a Guid, so the
/// provider keeps it whole as its string key, and the row names the grain exactly.
/// </para>
/// </remarks>
internal sealed class GrainIdentityScopedStorage : IGrainStorage
{
    /// <summary>What the key handed to the provider starts with; <c>g</c> is not a hexadecimal digit.</summary>
    public const string KeyPrefix = "grain:";

    private readonly IGrainStorage inner;

    /// <summary>Wraps <paramref name="inner"/>, an ADO.NET grain storage.</summary>
    public GrainIdentityScopedStorage(IGrainStorage inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        this.inner = inner;
    }

    /// <summary>The grain id the provider is given for <paramref name="grainId"/>.</summary>
    public static GrainId Scope(GrainId grainId) => GrainId.Create(grainId.Type, IdSpan.Create(KeyPrefix + grainId.ToString()));

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, Scope(grainId), grainState);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        inner.ReadStateAsync(stateName, Scope(grainId), grainState, cancellationToken);

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.WriteStateAsync(stateName, Scope(grainId), grainState);

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        inner.WriteStateAsync(stateName, Scope(grainId), grainState, cancellationToken);

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, Scope(grainId), grainState);

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        inner.ClearStateAsync(stateName, Scope(grainId), grainState, cancellationToken);
}
