using AgentGrains.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Runtime.Testing;

/// <summary>How a <see cref="TestCluster"/> builds its silos.</summary>
public sealed class TestClusterOptions
{
    /// <summary>How many silos <see cref="TestCluster.StartAsync"/> starts; default 2.</summary>
    public int InitialSilos { get; set; } = 2;

    /// <summary>The SQLite file all silos share; default a new file in the temp folder, deleted at dispose.</summary>
    /// <remarks>Set this or <see cref="StorageSettings"/>, not both: <see cref="TestCluster.StartAsync"/> refuses both.</remarks>
    public string? DatabasePath { get; set; }

    /// <summary>
    /// The storage every silo uses, as configuration (<c>Storage:*</c> and <c>ConnectionStrings:AgentGrains</c>);
    /// default <see langword="null"/>: a SQLite file (<see cref="DatabasePath"/>, or a new one in the temp folder).
    /// </summary>
    /// <remarks>
    /// <para>Set it to run the cluster on PostgreSQL:</para>
    /// <code>
    /// StorageSettings = new Dictionary&lt;string, string?&gt;
    /// {
    ///     ["Storage:Provider"] = "PostgreSQL",
    ///     ["ConnectionStrings:AgentGrains"] = "Host=localhost;Username=agentgrains;Password=...",
    ///     ["Storage:Schema"] = "cluster_test_1",
    /// },
    /// </code>
    /// <para>The cluster uses this storage as given and leaves it in place at dispose: the caller
    /// creates it (a fresh schema or file per test keeps tests apart) and removes it.</para>
    /// </remarks>
    public IReadOnlyDictionary<string, string?>? StorageSettings { get; set; }

    /// <summary>Configuration every silo gets (e.g. <c>Silo:DeathTimeout</c>), applied after the storage settings.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers grains on each silo.</summary>
    public Action<ISiloBuilder>? ConfigureSilo { get; set; }

    /// <summary>Adds services to each silo's container (shared singletons let tests observe every silo).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }
}
