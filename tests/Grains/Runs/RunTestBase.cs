using AgentGrains.Grains;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>A run-engine test over its own storage: silos with agent sessions and the test's model, agents and tools.</summary>
public abstract class RunTestBase(StorageUnderTest storage) : IAsyncLifetime
{
    /// <summary>How long a test waits for a run to reach a status before it fails.</summary>
    protected static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    protected StorageUnderTest Storage => storage;

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected Task<TestSiloHost> StartAsync(Action<IServiceCollection>? services = null, IDictionary<string, string?>? settings = null) =>
        TestSiloHost.StartAsync(storage, static silo => silo.AddAgentSessions(), settings, services);

    protected static async Task<IAgentSessionGrain> CreateSessionAsync(IGrainFactory grains, string id, string agent)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var session = grains.GetGrain<IAgentSessionGrain>(id);
        Assert.True((await session.CreateAsync(agent)).Created);
        return session;
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
