using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

internal sealed partial class PostgresGrainStorage
{
    /// <summary>The connections of this store, for the cluster's LISTEN/NOTIFY signals.</summary>
    internal NpgsqlDataSource DataSource => dataSource;
}
