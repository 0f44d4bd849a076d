using Orleans.Messaging;

namespace AgentGrains.Storage.Hosting;

/// <summary>Orleans' ADO.NET gateway list, with the schema migrated before its first read.</summary>
/// <remarks>
/// A client (a standalone gateway) may start before any silo has created the tables. Orleans calls
/// <see cref="InitializeGatewayListProviderAsync"/> first thing when the client connects, inside the
/// client's connection retries: migrating there means the client finds the tables whoever started first,
/// and a database that is briefly unreachable is retried like any other connection failure.
/// </remarks>
internal sealed class MigratingGatewayListProvider(IGatewayListProvider inner, OrleansPostgres postgres) : IGatewayListProvider
{
    public TimeSpan MaxStaleness => inner.MaxStaleness;

    // Obsolete in Orleans: every provider is treated as updatable.
    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => InitializeGatewayListProviderAsync(CancellationToken.None);

    public async Task InitializeGatewayListProviderAsync(CancellationToken cancellationToken = default)
    {
        await postgres.EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        await inner.InitializeGatewayListProviderAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IList<Uri>> GetGateways() => inner.GetGateways();

    public Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken = default) => inner.GetGatewaysAsync(cancellationToken);
}
