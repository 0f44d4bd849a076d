using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Storage.Hosting;

/// <summary>A fresh schema on the shared PostgreSQL server for one test class, dropped afterwards.</summary>
public sealed class PostgresSchemaFixture : IAsyncLifetime
{
    public StorageUnderTest Storage { get; } = StorageUnderTest.Postgres();

    public ValueTask InitializeAsync() => new(Storage.InitializeAsync());

    public ValueTask DisposeAsync() => Storage.DisposeAsync();
}
