using AgentGrains.Grains.Memory;
using AgentGrains.Storage.Memory;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Grains.Memory;

/// <summary>A memory store for tests that only need the memory tools to exist (their schemas, the catalog's checks): every call fails.</summary>
internal sealed class NoMemoryStore : IMemoryStore
{
    /// <summary>The <c>remember</c> and <c>recall</c> tools over a store that fails every call.</summary>
    public static IEnumerable<AgentGrains.Grains.Tools.AgentTool> Tools() =>
        MemoryTools.Create(new AgentMemory(new NoMemoryStore(), TimeProvider.System, NullLogger<AgentMemory>.Instance));

    public Task<MemoryFact> RememberAsync(NewMemoryFact fact, CancellationToken cancellationToken) => throw Unavailable();

    public Task<IReadOnlyList<MemoryFact>> SearchAsync(string userId, string query, int limit, CancellationToken cancellationToken) => throw Unavailable();

    public Task<IReadOnlyList<MemoryFact>> ReadEmbeddedAsync(string userId, int limit, CancellationToken cancellationToken) => throw Unavailable();

    public Task<IReadOnlyList<MemoryFact>> ListAsync(string userId, long before, int limit, CancellationToken cancellationToken) => throw Unavailable();

    public Task<bool> DeleteAsync(string userId, long id, CancellationToken cancellationToken) => throw Unavailable();

    public Task<int> DeleteAllAsync(string userId, CancellationToken cancellationToken) => throw Unavailable();

    private static InvalidOperationException Unavailable() => new("This test has no memory store.");
}
