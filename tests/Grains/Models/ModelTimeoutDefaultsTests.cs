using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Grains.Models;

/// <summary>The default model and run timings, as a new user meets them: a model request that hangs must not fail the run.</summary>
/// <remarks>
/// The timings are the defaults divided by one factor, so the test checks how the defaults relate
/// (one attempt, the whole model call, the stall timeout, the watchdog), not a hand-picked setting.
/// The factor is as large as the silo's shortest reminder period allows for the default watchdog.
/// </remarks>
[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class ModelTimeoutDefaultsTests : IAsyncLifetime
{
    private const int Factor = 10;
    private const string Agent = "patient";

    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();
    private FakeOpenAIServer server = null!;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        server = await FakeOpenAIServer.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        await storage.DisposeAsync();
    }

    [Fact]
    public async Task SubmitAsync_FirstModelRequestHangsWithDefaultTimings_AttemptAbandonedRetriedAndRunCompletes()
    {
        var model = new ModelOptions();
        var agent = new AgentDefinition("defaults", string.Empty, []);
        Assert.True(agent.WatchdogPeriod / Factor >= SessionCluster.MinimumReminderPeriod, "the scaled watchdog period is below the silo's shortest reminder period; lower Factor");
        var settings = new Dictionary<string, string?>(server.ModelSettings)
        {
            ["Model:RequestTimeout"] = Scaled(model.RequestTimeout),
            ["Model:RetryBaseDelay"] = Scaled(model.RetryBaseDelay),
            ["Model:MaxRetryDelay"] = Scaled(model.MaxRetryDelay),
            [$"Agents:{Agent}:Instructions"] = "Answer briefly.",
            [$"Agents:{Agent}:ModelTimeout"] = Scaled(agent.ModelTimeout),
            [$"Agents:{Agent}:StallTimeout"] = Scaled(agent.StallTimeout),
            [$"Agents:{Agent}:WatchdogPeriod"] = Scaled(agent.WatchdogPeriod),
        };
        server.Enqueue(FakeResponse.Hang(), FakeResponse.Text("Here after one retry."));
        await using var cluster = await SessionCluster.StartAsync(storage, settings: settings);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("hung-once");
        await session.CreateAsync(Agent);

        var runId = (await session.SubmitAsync("hello")).RunId;
        var run = await WaitForEndAsync(session, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Equal("Here after one retry.", run.Reply);
        // The hung request and its retry: the model client recovered within one model call, without the watchdog.
        Assert.Equal(2, server.Requests.Count);
        var events = await session.GetRunEventsAsync(runId, 0, TimeSpan.Zero);
        Assert.DoesNotContain(events.Events, static e => e.Type == RunEventTypes.Resumed);
    }

    /// <summary>Waits in short polls (each well under the grain call timeout) for the run to end; bounded.</summary>
    private static async Task<RunView> WaitForEndAsync(IAgentSessionGrain session, string runId)
    {
        var bound = TimeSpan.FromSeconds(60);
        var deadline = DateTime.UtcNow + bound;
        RunView? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await session.WaitForRunAsync(runId, TimeSpan.FromSeconds(2)) ?? last;
            if (last is { IsTerminal: true })
            {
                return last;
            }
        }

        throw new TimeoutException($"Run {runId} did not end within {bound.TotalSeconds} s; last seen {last?.Status ?? "nothing"} ({last?.Reason}).");
    }

    private static string Scaled(TimeSpan value) => (value / Factor).ToString("c", CultureInfo.InvariantCulture);
}
