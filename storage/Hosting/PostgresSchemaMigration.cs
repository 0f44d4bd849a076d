using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Storage.Hosting;

/// <summary>Migrates the schema when a silo starts, before any provider touches a table.</summary>
/// <remarks>
/// It runs at the first lifecycle stage: the silo has not opened its endpoints yet, and every
/// provider reads the tables later (membership and reminders at
/// <see cref="ServiceLifecycleStage.RuntimeGrainServices"/>, grain storage at
/// <see cref="ServiceLifecycleStage.ApplicationServices"/>). Stages run one after another, so they all
/// find the tables and their statements in place; a silo that cannot migrate never joins the cluster.
/// </remarks>
internal sealed class PostgresSchemaMigration(OrleansPostgres postgres) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(PostgresSchemaMigration), ServiceLifecycleStage.First, postgres.EnsureMigratedAsync);
    }
}
