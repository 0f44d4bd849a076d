using System.Net;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.Tests.Grains.Delegation;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Gateway;

/// <summary>A manager with two levels of specialists through the gateway: the run tree and the nested event stream.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class DelegationEndpointsTests : IAsyncLifetime
{
    // top calls mid twice; each mid calls leaf twice.
    private const string TreeTask = "mid=leaf,leaf mid=leaf,leaf";

    private readonly DelegationScript script = new();
    private ModelServerGateway gateway = null!;

    private HttpClient Client => gateway.Client;

    public async ValueTask InitializeAsync() =>
        gateway = await ModelServerGateway.StartAsync(
            script.Respond,
            new Dictionary<string, string?> { ["Gateway:EventPollWait"] = "00:00:02" },
            static services => DelegationAgents.AddTo(services, TimeSpan.FromSeconds(10)));

    public ValueTask DisposeAsync() => gateway.DisposeAsync();

    [Fact]
    public async Task GetRun_ManagerWithTwoLevelsOfSpecialists_ShowsTheRunTreeWithSiloStatusAndTokens()
    {
        var sessionId = await Client.CreateSessionAsync(agent: DelegationAgents.Top);
        using var reply = await Client.SendTextAsync(sessionId, TreeTask);
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var runId = (await GatewayHttp.ReadJsonAsync(reply)).GetProperty("runId").GetString()!;

        var run = await Client.GetRunAsync(runId);

        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(["top"], run.GetProperty("path").EnumerateArray().Select(static p => p.GetString()));
        var mids = run.GetProperty("children").EnumerateArray().ToList();
        Assert.Equal([$"{runId}.1.0~1", $"{runId}.1.1~1"], mids.Select(static m => m.GetProperty("runId").GetString()));
        var silo = run.GetProperty("silo").GetString();
        Assert.False(string.IsNullOrEmpty(silo));
        foreach (var mid in mids)
        {
            Assert.Equal(("mid", "completed", silo, 200), (mid.GetProperty("agent").GetString(), mid.GetProperty("status").GetString(), mid.GetProperty("silo").GetString(), mid.GetProperty("tokens").GetInt32()));
            var leaves = mid.GetProperty("children").EnumerateArray().ToList();
            Assert.Equal(2, leaves.Count);
            Assert.All(leaves, leaf =>
            {
                Assert.Equal(("leaf", "completed", 100), (leaf.GetProperty("agent").GetString(), leaf.GetProperty("status").GetString(), leaf.GetProperty("tokens").GetInt32()));
                Assert.StartsWith(mid.GetProperty("runId").GetString() + ".1.", leaf.GetProperty("runId").GetString(), StringComparison.Ordinal);
            });
        }

        // Each mid used 200 tokens itself (two steps) and its two leaves 100 each: all of it counts toward top.
        Assert.Equal(2 * (200 + 2 * 100), run.GetProperty("delegatedTokens").GetInt32());
        // A specialist run is read like any run, and names its manager.
        var first = await Client.GetRunAsync(mids[0].GetProperty("runId").GetString()!);
        Assert.Equal((runId, "completed"), (first.GetProperty("parentRunId").GetString(), first.GetProperty("status").GetString()));
        Assert.Equal(["top", "mid"], first.GetProperty("path").EnumerateArray().Select(static p => p.GetString()));
    }

    [Fact]
    public async Task StreamEvents_ManagerWithSpecialists_CarriesEveryRunsJournalTaggedWithItsAgentPathAndResumesFromAnyEventId()
    {
        var sessionId = await Client.CreateSessionAsync(agent: DelegationAgents.Top);
        using var reply = await Client.SendTextAsync(sessionId, TreeTask);
        var runId = (await GatewayHttp.ReadJsonAsync(reply)).GetProperty("runId").GetString()!;

        using var stream = await EventStreamClient.OpenAsync(Client, runId);
        var received = await stream.ReadToEndAsync($"the events of {runId} and its specialists");

        // Every journal of the tree, once each: the root's own events untagged, each specialist's tagged.
        var runs = new List<string> { runId };
        runs.AddRange(Enumerable.Range(0, 2).Select(i => $"{runId}.1.{i}~1"));
        runs.AddRange(runs.Skip(1).ToList().SelectMany(mid => Enumerable.Range(0, 2).Select(i => $"{mid}.1.{i}~1")));
        var expected = new List<(string RunId, long Sequence, string? Path)>();
        foreach (var id in runs)
        {
            var path = id == runId ? null : id.Split('~').Length == 3 ? "top/mid" : "top/mid/leaf";
            expected.AddRange((await RunJournal.ReadAsync(gateway.App.Services.GetRequiredService<Orleans.IGrainFactory>(), id)).Select(e => (id, e.Sequence, path)));
        }

        var got = received.Select(Parse).ToList();
        Assert.Equal(expected.Order(), got.Order());
        Assert.Equal(expected.Count, got.Distinct().Count());
        Assert.Equal((runId, RunEventTypes.Finished), (got[^1].RunId, received[^1].Type));
        // Each run's events arrive in its journal's order.
        Assert.All(runs, id => Assert.Equal(got.Where(g => g.RunId == id).Select(g => g.Sequence).Order(), got.Where(g => g.RunId == id).Select(g => g.Sequence)));

        // Reconnecting after any event continues with exactly the events after it.
        foreach (var cut in new[] { 1, received.Count / 2, received.Count - 2 })
        {
            using var resumed = await EventStreamClient.OpenAsync(Client, runId, received[cut - 1].Cursor);
            var rest = (await resumed.ReadToEndAsync($"the events of {runId} after event {cut}")).Select(Parse).ToList();
            Assert.Equal(got.Skip(cut).Order(), rest.Order());
        }
    }

    [Fact]
    public async Task ApprovalInsideASpecialist_SeenOnTheManagersStreamAndTree_DecidedThroughTheSpecialistsRunId()
    {
        var sessionId = await Client.CreateSessionAsync(agent: DelegationAgents.Overseer);
        using var accepted = await Client.SendTextNoWaitAsync(sessionId, "careful=launch");
        var runId = (await GatewayHttp.ReadJsonAsync(accepted)).GetProperty("runId").GetString()!;
        using var stream = await EventStreamClient.OpenAsync(Client, runId);

        ServerSentEvent? asked = null;
        while (asked is null)
        {
            var next = await stream.ReadAsync($"a specialist of {runId} asking for approval") ?? throw new InvalidOperationException("The stream ended early.");
            asked = next.Type == RunEventTypes.ApprovalRequested ? next : null;
        }

        var request = JsonDocument.Parse(asked.Data).RootElement;
        var childRunId = request.GetProperty("runId").GetString()!;
        Assert.Equal($"{runId}.1.0~1", childRunId);
        Assert.Equal(["overseer", "careful"], request.GetProperty("path").EnumerateArray().Select(static p => p.GetString()));
        var callId = request.GetProperty("call").GetProperty("callId").GetString()!;
        var waiting = await Client.GetRunAsync(runId);
        Assert.Equal("running", waiting.GetProperty("status").GetString());
        Assert.Equal("awaiting_approval", waiting.GetProperty("children")[0].GetProperty("status").GetString());

        using var decided = await Client.PostRawAsync($"/v1/runs/{childRunId}/approvals/{callId}", """{"approve":true}""");
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        var rest = await stream.ReadToEndAsync($"the rest of {runId} after the approval");

        var finished = JsonDocument.Parse(rest[^1].Data).RootElement;
        Assert.Equal((RunEventTypes.Finished, runId, "done: done: launched part 1"), (rest[^1].Type, finished.GetProperty("runId").GetString(), finished.GetProperty("text").GetString()));
        Assert.Contains(rest, e => e.Type == RunEventTypes.ApprovalDecided && JsonDocument.Parse(e.Data).RootElement.GetProperty("runId").GetString() == childRunId);
    }

    private static (string RunId, long Sequence, string? Path) Parse(ServerSentEvent sent)
    {
        var data = JsonDocument.Parse(sent.Data).RootElement;
        var path = data.TryGetProperty("path", out var p) ? string.Join('/', p.EnumerateArray().Select(static a => a.GetString())) : null;
        return (data.GetProperty("runId").GetString()!, data.GetProperty("sequence").GetInt64(), path);
    }
}
