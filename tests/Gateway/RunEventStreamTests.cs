using System.Net;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.Tests.Grains;
using Microsoft.Extensions.AI;

using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>A run's server-sent event stream read over the real pipeline: order, end, resumption with Last-Event-ID; on every storage provider.</summary>
public abstract class RunEventStreamTests(RunsFixture fixture)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite(RunsFixture.Sqlite fixture) : RunEventStreamTests(fixture), IClassFixture<RunsFixture.Sqlite>
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres(RunsFixture.Postgres fixture) : RunEventStreamTests(fixture), IClassFixture<RunsFixture.Postgres>
    {
    }

    private static readonly string[] ToolRunTypes =
        [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished];

    private readonly HttpClient client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StreamEvents_FollowingARunLive_SendsTheWholeJournalInOrderAndEndsAfterRunFinished()
    {
        var (runId, gate) = await StartToolRunAsync();
        using var stream = await EventStreamClient.OpenAsync(client, runId);
        var received = new List<ServerSentEvent>();
        for (var i = 0; i < 3; i++)
        {
            received.Add(await stream.ReadAsync($"event {i + 1} of {runId} (started, reply with a tool call, tool result)") ?? throw new InvalidOperationException("The stream ended early."));
        }

        await gate.WaitEnteredAsync($"run {runId} makes its second model call");
        Assert.Equal("running", (await client.GetRunAsync(runId)).GetProperty("status").GetString());
        gate.Release();
        received.AddRange(await stream.ReadToEndAsync($"the rest of {runId}'s events and the end of the stream"));

        Assert.True(stream.Ended);
        Assert.Equal(ToolRunTypes, received.Select(e => e.Type));
        await RunJournal.AssertReceivedWholeJournalAsync(fixture.Grains, runId, received);
        var finished = JsonDocument.Parse(received[^1].Data).RootElement;
        Assert.Equal("completed", finished.GetProperty("status").GetString());
        Assert.Equal(runId, finished.GetProperty("runId").GetString());
        Assert.Equal(received.Count, (await client.GetRunAsync(runId)).GetProperty("events").GetInt64());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StreamEvents_DisconnectMidRunAndReconnectWithLastEventId_ReceivesExactlyTheRemainingEvents(bool asQuery)
    {
        var (runId, gate) = await StartToolRunAsync();
        await gate.WaitEnteredAsync($"run {runId} makes its second model call");
        var received = new List<ServerSentEvent>();
        using (var first = await EventStreamClient.OpenAsync(client, runId))
        {
            // Three events are committed; the client takes two and goes away.
            received.Add((await first.ReadAsync($"event 1 of {runId}"))!);
            received.Add((await first.ReadAsync($"event 2 of {runId}"))!);
        }

        using var resumed = await EventStreamClient.OpenAsync(client, runId, lastEventId: received[^1].Id, asQuery);
        var next = await resumed.ReadAsync($"event 3 of {runId} after Last-Event-ID 2");
        Assert.Equal(3, next?.Id);
        received.Add(next!);
        gate.Release();
        received.AddRange(await resumed.ReadToEndAsync($"the rest of {runId}'s events after the reconnection"));

        Assert.True(resumed.Ended);
        Assert.Equal(ToolRunTypes, received.Select(e => e.Type));
        await RunJournal.AssertReceivedWholeJournalAsync(fixture.Grains, runId, received);
    }

    [Fact]
    public async Task StreamEvents_FinishedRun_SendsItsJournalAndEndsAndFromTheLastIdSendsNothing()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        var runId = $"{sessionId}~1";

        using var all = await EventStreamClient.OpenAsync(client, runId);
        var received = await all.ReadToEndAsync($"the journal of finished run {runId}");
        using var fromEnd = await EventStreamClient.OpenAsync(client, runId, lastEventId: received[^1].Id);
        var after = await fromEnd.ReadToEndAsync($"the end of {runId}'s stream after its last id");

        await RunJournal.AssertReceivedWholeJournalAsync(fixture.Grains, runId, received);
        Assert.Empty(after);
        Assert.True(fromEnd.Ended);
    }

    [Fact]
    public async Task StreamEvents_UnknownRun_Returns404Problem()
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();

        using var response = await client.GetAsync($"/v1/runs/{sessionId}~9/events", Ct);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("runs-without-number")]
    [InlineData("bad%20id~1")]
    public async Task StreamEvents_MalformedRunId_Returns400Problem(string runId)
    {
        using var response = await client.GetAsync($"/v1/runs/{runId}/events", Ct);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public async Task StreamEvents_InvalidLastEventId_Returns400ProblemNamingIt(string lastEventId)
    {
        var sessionId = await client.CreateSessionWithHistoryAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/runs/{sessionId}~1/events");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);

        using var response = await client.SendAsync(request, Ct);

        var problem = await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Last-Event-ID", out _), problem.ToString());
    }

    /// <summary>A run whose model calls <c>noop</c>, then holds its second call at the returned gate before answering.</summary>
    private async Task<(string RunId, ModelGate Gate)> StartToolRunAsync()
    {
        var sessionId = await client.CreateSessionAsync(agent: RunsFixture.Runner);
        var text = RunHttp.NewText("stream");
        var gate = new ModelGate();
        fixture.Model.On(text, async (step, _, ct) =>
        {
            if (step == 0)
            {
                return FakeChatClient.ToolCall("call-1", RunTools.Noop, """{"note":"n"}""");
            }

            await gate.PassAsync(ct);
            return new ChatMessage(ChatRole.Assistant, "streamed");
        });
        return (await client.StartRunAsync(sessionId, text), gate);
    }
}
