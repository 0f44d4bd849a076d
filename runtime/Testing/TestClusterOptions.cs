using AgentGrains.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Runtime.Testing;

/// <summary>How a <see cref="TestCluster"/> builds its silos.</summary>
public sealed class TestClusterOptions
{
    /// <summary>How many silos <see cref="TestCluster.StartAsync"/> starts; default 2.</summary>
    public int InitialSilos { get; set; } = 2;

    /// <summary>The SQLite file all silos share; default a new file in the temp folder, deleted at dispose.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Configuration every silo gets (e.g. <c>Silo:DeathTimeout</c>); storage settings are filled in by the cluster.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers grains on each silo.</summary>
    public Action<ISiloBuilder>? ConfigureSilo { get; set; }

    /// <summary>Adds services to each silo's container (shared singletons let tests observe every silo).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }
}
