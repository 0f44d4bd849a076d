using AgentGrains.Tests.Grains;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Gateway;

/// <summary>Listing a session's runs and the session itself while a run waits for a person and another queues behind it; on every storage provider.</summary>
public abstract class RunListEndpointsTests(RunsFixture fixture)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite(RunsFixture.Sqlite fixture) : RunListEndpointsTests(fixture), IClassFixture<RunsFixture.Sqlite>
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres(RunsFixture.Postgres fixture) : RunListEndpointsTests(fixture), IClassFixture<RunsFixture.Postgres>
    {
    }

    private readonly HttpClient client = fixture.Client;
    private readonly RunScriptModel model = fixture.Model;

    [Fact]
    public async Task ListRuns_RunAwaitingApprovalWithOneQueued_ShowsEachStatusNewestFirstAndTheSessionAwaitingApproval()
    {
        var sessionId = await client.CreateSessionAsync(agent: RunsFixture.Runner);
        var first = RunHttp.NewText("first");
        var deploy = RunHttp.NewText("deploy");
        var queued = RunHttp.NewText("queued");
        model.On(first, static (_, _) => new ChatMessage(ChatRole.Assistant, "done"));
        model.On(deploy, static (step, _) => step == 0
            ? FakeChatClient.ToolCall("deploy-1", RunTools.Deploy, """{"target":"prod"}""")
            : new ChatMessage(ChatRole.Assistant, "deployed"));
        model.On(queued, static (_, _) => new ChatMessage(ChatRole.Assistant, "after"));
        using (var sent = await client.SendTextAsync(sessionId, first))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, sent.StatusCode);
        }

        var waiting = await client.StartRunAsync(sessionId, deploy);
        await client.WaitForStatusAsync(waiting, "awaiting_approval");
        var behind = await client.StartRunAsync(sessionId, queued);

        var runs = (await client.GetJsonAsync($"/v1/sessions/{sessionId}/runs")).GetProperty("runs").EnumerateArray().ToList();
        var session = (await client.AllPagesAsync($"/v1/sessions?agent={RunsFixture.Runner}&limit=100", "sessions")).SelectMany(static p => p)
            .Single(s => s.GetProperty("sessionId").GetString() == sessionId);

        Assert.Equal(
            [(behind, "queued"), (waiting, "awaiting_approval"), ($"{sessionId}~1", "completed")],
            runs.Select(static r => (r.GetProperty("runId").GetString(), r.GetProperty("status").GetString())));
        Assert.Equal(queued, runs[0].GetProperty("input").GetString());
        Assert.Equal("done", runs[2].GetProperty("reply").GetString());
        Assert.Equal("awaiting_approval", session.GetProperty("status").GetString());
        Assert.Equal(waiting, session.GetProperty("activeRunId").GetString());
        Assert.Equal(3, session.GetProperty("runs").GetInt64());

        using var approved = await client.PostRawAsync($"/v1/runs/{waiting}/approvals/deploy-1", """{"approve":true}""");
        await client.WaitForStatusAsync(behind, "completed");
        var after = (await client.GetJsonAsync($"/v1/sessions/{sessionId}/runs")).GetProperty("runs").EnumerateArray();
        Assert.All(after, r => Assert.Equal("completed", r.GetProperty("status").GetString()));
    }
}
