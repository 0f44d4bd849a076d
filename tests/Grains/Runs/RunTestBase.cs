using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>A run-engine test over its own storage: Orleans silos with agent sessions and the test's model, agents and tools.</summary>
public abstract class RunTestBase(StorageUnderTest storage) : IAsyncLifetime
{
    /// <summary>How long a test waits for a run to reach a status before it fails.</summary>
    protected static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    protected StorageUnderTest Storage => storage;

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public virtual async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected Task<SessionCluster> StartAsync(Action<IServiceCollection>? services = null, IDictionary<string, string?>? settings = null, short silos = 1) =>
        SessionCluster.StartAsync(storage, silos, services, settings);

    protected static async Task<IAgentSessionGrain> CreateSessionAsync(IGrainFactory grains, string id, string agent)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var session = grains.GetGrain<IAgentSessionGrain>(id);
        Assert.True((await session.CreateAsync(agent)).Created);
        return session;
    }

    /// <summary>Creates sessions <c>{prefix}-0</c>, <c>{prefix}-1</c>... until Orleans places one on <paramref name="silo"/>; returns it.</summary>
    /// <remarks>Placement is Orleans' to decide; a test that needs a session on a given silo asks for new ones until one lands there (bounded).</remarks>
    protected static async Task<IAgentSessionGrain> CreateSessionOnAsync(SessionCluster cluster, InProcessSiloHandle silo, string prefix, string agent)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(silo);
        for (var i = 0; i < 64; i++)
        {
            var session = await CreateSessionAsync(cluster.Grains, $"{prefix}-{i}", agent);
            if (cluster.SiloOf(session)?.SiloAddress == silo.SiloAddress)
            {
                return session;
            }
        }

        throw new InvalidOperationException($"None of 64 new sessions '{prefix}-*' was placed on silo {silo.SiloAddress}.");
    }

    /// <summary>Waits for the run to end and returns its final view.</summary>
    protected static async Task<RunView> WaitForEndAsync(IAgentSessionGrain session, string runId)
    {
        ArgumentNullException.ThrowIfNull(session);
        var view = await session.WaitForRunAsync(runId, WaitLimit)
            ?? throw new InvalidOperationException($"Run {runId} is unknown to its session; expected it to end within {WaitLimit.TotalSeconds} s.");
        Assert.True(view.IsTerminal, $"Expected run {runId} to end within {WaitLimit.TotalSeconds} s; it is still {view.Status} ({view.Reason}).");
        return view;
    }

    /// <summary>Waits until the run's committed status is <paramref name="status"/> (e.g. awaiting_approval).</summary>
    protected static async Task<RunView> WaitForStatusAsync(IAgentSessionGrain session, string runId, string status)
    {
        ArgumentNullException.ThrowIfNull(session);
        RunView? view = null;
        await Eventually.TrueAsync(
            async () =>
            {
                view = await session.GetRunAsync(runId);
                // A run that ended otherwise will never get there: fail now, naming how it ended.
                Assert.False(view is { IsTerminal: true } && view.Status != status, $"Run {runId} ended {view?.Status} ({view?.Reason}); expected {status}.");
                return view?.Status == status;
            },
            WaitLimit,
            $"run {runId} is {status}");
        return view!;
    }
}
