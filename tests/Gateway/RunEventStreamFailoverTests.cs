using AgentGrains.Grains;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Grains;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Gateway;

/// <summary>
/// A run's event stream across the death of the silo that runs it: two silos of a test cluster plus
/// the silo executable serving the gateway, all over one storage; on every storage provider.
/// </summary>
public abstract class RunEventStreamFailoverTests(StorageUnderTest storage) : IAsyncLifetime
{
    [Trait("Category", "Fault")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : RunEventStreamFailoverTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Fault")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : RunEventStreamFailoverTests(StorageUnderTest.Postgres())
    {
    }

    private readonly RunScriptModel model = new();
    private readonly RunTools tools = new();

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task StreamEvents_OwnerSiloKilledMidRun_OpenAndReconnectedStreamsBothReceiveTheFinalJournalWithoutGapsOrDuplicates()
    {
        await using var cluster = await SessionCluster.StartAsync(storage, silos: 2, services: s => RunsFixture.AddRunServices(s, model, tools));
        var owner = cluster.Cluster.Silos[1];
        // The session lives on the second silo (the first holds the test cluster's membership and stays).
        var sessionId = GatewayHttp.NewSessionId();
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(sessionId);
        await cluster.ActivateOnAsync(owner, session, () => session.CreateAsync(RunsFixture.Runner));
        await using var gateway = await ClusterGateway.StartAsync(cluster.Cluster.Client);
        using var client = gateway.CreateClient();

        var text = RunHttp.NewText("failover");
        var gate = new ModelGate();
        model.On(text, async (step, _, ct) =>
        {
            if (step == 0)
            {
                return FakeChatClient.ToolCall("call-1", RunTools.Noop, """{"note":"before"}""");
            }

            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, "survived");
        });
        var runId = await client.StartRunAsync(sessionId, text);
        await gate.WaitEnteredAsync($"run {runId} makes its second model call on {owner}");

        using var open = await EventStreamClient.OpenAsync(client, runId);
        var received = new List<ServerSentEvent>();
        var reconnecting = new List<ServerSentEvent>();
        using (var leaving = await EventStreamClient.OpenAsync(client, runId))
        {
            for (var i = 1; i <= 3; i++)
            {
                received.Add(await open.ReadAsync($"event {i} of {runId} before the kill") ?? throw new InvalidOperationException("The stream ended early."));
            }

            reconnecting.Add(await leaving.ReadAsync($"event 1 of {runId} on the second client") ?? throw new InvalidOperationException("The stream ended early."));
            reconnecting.Add(await leaving.ReadAsync($"event 2 of {runId} on the second client") ?? throw new InvalidOperationException("The stream ended early."));

            // The owner dies while both streams are open and the model call is in flight.
            await cluster.Cluster.KillSiloAsync(owner, TestContext.Current.CancellationToken);
        }

        // The second client went away with the owner and comes back with the last id it got.
        gate.Release();
        using var resumed = await EventStreamClient.OpenAsync(client, runId, lastEventId: reconnecting[^1].Id);
        reconnecting.AddRange(await resumed.ReadToEndAsync($"the rest of {runId}'s events after the kill, on the reconnected stream"));
        received.AddRange(await open.ReadToEndAsync($"the rest of {runId}'s events after the kill, on the stream kept open"));

        Assert.True(open.Ended && resumed.Ended);
        await RunJournal.AssertReceivedWholeJournalAsync(cluster.Grains, runId, received);
        await RunJournal.AssertReceivedWholeJournalAsync(cluster.Grains, runId, reconnecting);
        Assert.Equal(
            [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.ToolResult, RunEventTypes.Resumed, RunEventTypes.ModelReply, RunEventTypes.Finished],
            received.Select(e => e.Type));
        Assert.Contains("survived", received[^1].Data, StringComparison.Ordinal);
    }
}
