using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentGrains.Runtime.Testing;

/// <summary>One silo of a <see cref="TestCluster"/>: its host, its services and its grain factory.</summary>
public sealed class TestSilo
{
    internal TestSilo(IHost host, int number)
    {
        Host = host;
        Number = number;
        Silo = host.Services.GetRequiredService<Silo>();
    }

    /// <summary>The silo's position in start order (0, 1, 2...), also part of its address.</summary>
    public int Number { get; }

    /// <summary>The silo.</summary>
    public Silo Silo { get; }

    /// <summary>The silo's services.</summary>
    public IServiceProvider Services => Host.Services;

    /// <summary>Grain references whose calls enter the cluster through this silo.</summary>
    public IGrainFactory GrainFactory => Silo.GrainFactory;

    internal IHost Host { get; }

    /// <inheritdoc />
    public override string ToString() => $"silo {Number} ({Silo.SiloId})";
}
