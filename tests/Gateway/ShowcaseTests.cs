using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentGrains.Grains.Showcase;

namespace AgentGrains.Tests.Gateway;

/// <summary>The showcase agents over the real pipeline with the offline models: what a user sees through the API.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed partial class ShowcaseTests(GatewayFixture.Sqlite fixture) : IClassFixture<GatewayFixture.Sqlite>
{
    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Research_Question_ReportCitesCorpusDocumentsAfterParallelSearchesThenTheAnalyst()
    {
        var sessionId = await client.CreateSessionAsync(agent: "research");

        using var response = await client.SendTextAsync(sessionId, "How do idempotency keys and fencing tokens keep tool calls exactly once, and how do reminders wake stalled runs?");

        var body = await GatewayHttp.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("completed", body.GetProperty("status").GetString());
        var reply = body.GetProperty("reply").GetString()!;
        var cited = Citation().Matches(reply).Select(static m => m.Groups["id"].Value).Distinct().ToList();
        var corpus = ShowcaseCorpus.Documents.Select(static d => d.Id).ToHashSet();
        Assert.True(cited.Count >= 2, reply);
        Assert.All(cited, id => Assert.Contains(id, corpus));
        Assert.Contains("[leases-and-fencing]", reply, StringComparison.Ordinal);
        Assert.Contains("[reminders-and-timers]", reply, StringComparison.Ordinal);
        Assert.Contains("\nSources:\n", reply, StringComparison.Ordinal);

        var run = await client.GetRunAsync(body.GetProperty("runId").GetString()!);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(reply, run.GetProperty("reply").GetString());
        var steps = Calls(run);
        Assert.Equal(3, steps.Count);
        Assert.InRange(steps[0].Count, 2, 3);
        Assert.All(steps[0], c => Assert.Equal(("searcher", "succeeded"), c));
        Assert.Equal([("analyst", "succeeded")], steps[1]);
        Assert.Empty(steps[2]);
    }

    [Fact]
    public async Task TwentyQuestions_ChosenSecret_FoundWithinTwentyAnswererQuestions()
    {
        var sessionId = await client.CreateSessionAsync(agent: "twenty-questions");

        using var response = await client.SendTextAsync(sessionId, "play with secret: penguin");

        var body = await GatewayHttp.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("completed", body.GetProperty("status").GetString());
        var match = FoundIt().Match(body.GetProperty("reply").GetString()!);
        Assert.True(match.Success, body.ToString());
        Assert.Equal("penguin", match.Groups["secret"].Value);
        var questions = int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(questions, 1, 20);

        var run = await client.GetRunAsync(body.GetProperty("runId").GetString()!);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        var steps = Calls(run);
        Assert.Equal(questions + 1, steps.Count);
        Assert.All(steps[..^1], s => Assert.Equal([("answerer", "succeeded")], s));
        Assert.Empty(steps[^1]);
        var last = run.GetProperty("steps")[questions - 1].GetProperty("toolCalls")[0].GetProperty("arguments").GetString()!;
        Assert.Contains("Is it a penguin?", last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwentyQuestions_TwoGamesInOneSession_EachFindsItsOwnSecret()
    {
        var sessionId = await client.CreateSessionAsync(agent: "twenty-questions");

        using var first = await client.SendTextAsync(sessionId, "play with secret: owl");
        using var second = await client.SendTextAsync(sessionId, "play with secret: shark");

        var one = await GatewayHttp.ReadJsonAsync(first);
        var two = await GatewayHttp.ReadJsonAsync(second);
        Assert.Matches(FoundIt(), one.GetProperty("reply").GetString()!);
        Assert.EndsWith(": owl.", one.GetProperty("reply").GetString(), StringComparison.Ordinal);
        Assert.Matches(FoundIt(), two.GetProperty("reply").GetString()!);
        Assert.EndsWith(": shark.", two.GetProperty("reply").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadmeWalkthrough_EveryShowcaseMessage_GetsTheReplyTheReadmeShows()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "README.md"), TestContext.Current.CancellationToken);
        var research = await client.CreateSessionAsync(agent: "research");
        var game = await client.CreateSessionAsync(agent: "twenty-questions");

        foreach (var (sessionId, text) in new[]
        {
            (research, "How do idempotency keys and fencing tokens keep tool calls exactly once, and how do reminders wake stalled runs?"),
            (research, "What does PostgreSQL group commit buy, and how do leases stop a paused owner?"),
            (game, "play with secret: penguin"),
            (game, "Let us play twenty questions"),
        })
        {
            using var response = await client.SendTextAsync(sessionId, text);
            var reply = (await GatewayHttp.ReadJsonAsync(response)).GetProperty("reply").GetString()!;

            // A report is shown as a text block, a game's reply inside the JSON the gateway answers.
            Assert.True(
                readme.Contains("```text\n" + reply + "\n```", StringComparison.Ordinal) || readme.Contains($"\"reply\":\"{reply}\"", StringComparison.Ordinal),
                $"README.md does not show the reply to '{text}':\n{reply}");
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AgentGrains.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AgentGrains.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Each step's tool calls as (name, status), in step order.</summary>
    private static List<List<(string?, string?)>> Calls(JsonElement run) =>
    [
        .. run.GetProperty("steps").EnumerateArray().Select(static s => s.GetProperty("toolCalls").EnumerateArray()
            .Select(static c => (c.GetProperty("name").GetString(), c.GetProperty("status").GetString())).ToList()),
    ];

    [GeneratedRegex(@"\[(?<id>[a-z0-9-]+)\]")]
    private static partial Regex Citation();

    [GeneratedRegex(@"^Found it in (?<n>\d+) questions?: (?<secret>[a-z]+)\.$")]
    private static partial Regex FoundIt();
}
