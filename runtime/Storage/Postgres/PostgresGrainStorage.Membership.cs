using AgentGrains.Runtime.Membership;
using Npgsql;

namespace AgentGrains.Runtime.Storage.Postgres;

/// <remarks>
/// Membership writes are rare (a heartbeat every few seconds per silo), so they run on pooled
/// connections rather than the grains' writers, where a large batch could delay a heartbeat.
/// </remarks>
internal sealed partial class PostgresGrainStorage : IMembershipStorage
{
    public async Task RegisterAsync(string siloId, string address, CancellationToken cancellationToken)
    {
        // One batch is one implicit transaction: the registration and the retirement of the
        // previous incarnation at the same address happen together.
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(queries.Register, p => p.Text(siloId).Text(address)));
        batch.BatchCommands.Add(Command(queries.RetirePrevious, p => p.Text(siloId).Text(address)));
        await ExecuteAsync(() => batch.ExecuteNonQueryAsync(cancellationToken)).ConfigureAwait(false);
    }

    public async Task<bool> HeartbeatAsync(string siloId, int activations, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(queries.Heartbeat);
        command.Parameters.Text(siloId).Integer(activations);
        return await ExecuteAsync(() => command.ExecuteNonQueryAsync(cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task SetStatusAsync(string siloId, string status, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(queries.SetStatus);
        command.Parameters.Text(siloId).Text(status);
        await ExecuteAsync(() => command.ExecuteNonQueryAsync(cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> DeclareDeadAsync(TimeSpan deathTimeout, CancellationToken cancellationToken)
    {
        var dead = new List<string>();
        await ReadAsync(queries.DeclareDead, p => p.Interval(deathTimeout), r => dead.Add(r.GetString(0)), cancellationToken).ConfigureAwait(false);
        return dead;
    }

    public async Task<IReadOnlyList<SiloInfo>> ReadSilosAsync(TimeSpan deathTimeout, CancellationToken cancellationToken)
    {
        var silos = new List<SiloInfo>();
        await ReadAsync(
            queries.ReadSilos,
            p => p.Interval(deathTimeout),
            r => silos.Add(new SiloInfo(
                r.GetString(0),
                r.GetString(1),
                r.GetString(5),
                r.GetFieldValue<DateTimeOffset>(2),
                r.GetFieldValue<DateTimeOffset>(3),
                r.GetInt32(4))),
            cancellationToken).ConfigureAwait(false);
        return silos;
    }

    private static NpgsqlBatchCommand Command(string sql, Action<NpgsqlParameterCollection> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        parameters(command.Parameters);
        return command;
    }

    private static async Task<int> ExecuteAsync(Func<Task<int>> statement)
    {
        try
        {
            return await statement().ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw new StorageException($"PostgreSQL write failed: {ex.Message}", ex.IsTransient, ex);
        }
    }
}
