using System.Text.Json;
using AgentGrains.Grains.Showcase;
using AgentGrains.GrainInterfaces.Specialists;
using Microsoft.Extensions.AI;
using static AgentGrains.Tests.Grains.Showcase.ShowcaseMessages;

namespace AgentGrains.Tests.Grains.Showcase;

/// <summary>The offline models of research, searcher and analyst, fed the messages the session grain would give them.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ResearchModelsTests
{
    private const string Question = "How do idempotency keys and fencing tokens keep tool calls exactly once?";

    private static readonly Finding Keys = new("idempotency-keys", "Idempotency keys", "Keys repeat.");
    private static readonly Finding Fencing = new("leases-and-fencing", "Leases and fencing tokens", "Tokens fence.");
    private static readonly Finding Effects = new("exactly-once-effects", "Exactly-once effects", "Effects once.");

    [Theory]
    [InlineData("How do idempotency keys and fencing tokens work?", new[] { "idempotency keys", "fencing tokens" })]
    [InlineData("virtual actors, reminders; and group commit", new[] { "virtual actors", "reminders", "group commit" })]
    [InlineData("leases, fencing, reminders, journals and replay", new[] { "leases", "fencing", "reminders journals replay" })]
    [InlineData("why use write-ahead journals for agent recovery", new[] { "write ahead journals", "agent recovery" })]
    [InlineData("what is fencing?", new[] { "fencing" })]
    public void SubQueries_Question_TwoOrThreeKeywordQueriesWherePossible(string question, string[] expected)
    {
        Assert.Equal(expected, ResearchModel.SubQueries(question));
    }

    [Fact]
    public async Task Research_Question_CallsSearcherOncePerSubQueryInOneReply()
    {
        var reply = await new ResearchModel().ReplyAsync([Instructions(), User(Question)]);

        var calls = reply.Calls();
        Assert.Equal(["searcher", "searcher"], calls.Select(static c => c.Name));
        Assert.Equal(["idempotency keys", "fencing tokens keep tool calls exactly once"], calls.Select(static c => c.Argument("query")));
        Assert.Equal(["call_1", "call_2"], calls.Select(static c => c.CallId));
    }

    [Fact]
    public async Task Research_SearchResults_CallsAnalystWithTheQuestionAndMergedDeduplicatedFindings()
    {
        var model = new ResearchModel();
        var first = await model.ReplyAsync([Instructions(), User(Question)]);

        var reply = await model.ReplyAsync(
        [
            Instructions(), User(Question), first,
            Results(("call_1", Findings("idempotency keys", Keys, Effects)), ("call_2", Findings("fencing tokens", Fencing, Keys))),
        ]);

        var call = Assert.Single(reply.Calls());
        Assert.Equal("analyst", call.Name);
        Assert.Equal("call_3", call.CallId);
        Assert.Equal(Question, call.Argument("question"));
        var findings = JsonSerializer.Deserialize<List<Finding>>(call.Argument("findings")!, AIJsonUtilities.DefaultOptions)!;
        Assert.Equal(["idempotency-keys", "exactly-once-effects", "leases-and-fencing"], findings.Select(static f => f.DocumentId));
    }

    [Fact]
    public async Task Research_AnalystReport_AnswersWithTheReport()
    {
        var model = new ResearchModel();
        List<ChatMessage> messages = [Instructions(), User(Question)];
        messages.Add(await model.ReplyAsync(messages));
        messages.Add(Results(("call_1", Findings("idempotency keys", Keys)), ("call_2", Findings("fencing tokens", Fencing))));
        messages.Add(await model.ReplyAsync(messages));
        messages.Add(Results(("call_3", "the report [idempotency-keys]")));

        var reply = await model.ReplyAsync(messages);

        Assert.Empty(reply.Calls());
        Assert.Equal("the report [idempotency-keys]", reply.Text);
    }

    [Fact]
    public async Task Research_OneSearchFailed_AnalystGetsTheOtherFindingsAndTheReportNamesTheFailedPart()
    {
        var model = new ResearchModel();
        List<ChatMessage> messages = [Instructions(), User(Question)];
        messages.Add(await model.ReplyAsync(messages));
        messages.Add(Results(("call_1", Findings("idempotency keys", Keys)), ("call_2", "error: SpecialistFailed: specialist 'searcher' (run x) failed: boom.")));

        var analysis = await model.ReplyAsync(messages);
        messages.Add(analysis);
        messages.Add(Results(("call_3", "the report [idempotency-keys]")));
        var reply = await model.ReplyAsync(messages);

        var findings = JsonSerializer.Deserialize<List<Finding>>(Assert.Single(analysis.Calls()).Argument("findings")!, AIJsonUtilities.DefaultOptions)!;
        Assert.Equal([Keys], findings);
        Assert.StartsWith("the report [idempotency-keys]", reply.Text, StringComparison.Ordinal);
        Assert.Contains("\"fencing tokens keep tool calls exactly once\": SpecialistFailed: specialist 'searcher' (run x) failed: boom.", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Research_EverySearchFailed_SaysSoWithoutCallingTheAnalyst()
    {
        var model = new ResearchModel();
        List<ChatMessage> messages = [Instructions(), User(Question)];
        messages.Add(await model.ReplyAsync(messages));
        messages.Add(Results(("call_1", "error: TimedOut: slow."), ("call_2", "error: Cancelled: stopped.")));

        var reply = await model.ReplyAsync(messages);

        Assert.Empty(reply.Calls());
        Assert.Contains("every search failed", reply.Text, StringComparison.Ordinal);
        Assert.Contains("TimedOut: slow.", reply.Text, StringComparison.Ordinal);
        Assert.Contains("Cancelled: stopped.", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Research_EarlierRunInView_PlansTheNewQuestionFromScratch()
    {
        var model = new ResearchModel();
        List<ChatMessage> messages = [Instructions(), User("old question about leases"), new(ChatRole.Assistant, "old report")];
        messages.Add(User("virtual actors and reminders"));

        var reply = await model.ReplyAsync(messages);

        Assert.Equal(["virtual actors", "reminders"], reply.Calls().Select(static c => c.Argument("query")));
    }

    [Fact]
    public async Task Searcher_Request_CallsCorpusSearchWithItsQuery()
    {
        var reply = await new SearcherModel().ReplyAsync([Instructions(), Request(new SearchRequest("fencing tokens"))]);

        var call = Assert.Single(reply.Calls());
        Assert.Equal("corpus_search", call.Name);
        Assert.Equal("fencing tokens", call.Argument("query"));
    }

    [Fact]
    public async Task Searcher_SearchResult_RepliesWithSearchFindingsOfTheHits()
    {
        var model = new SearcherModel();
        List<ChatMessage> messages = [Instructions(), Request(new SearchRequest("fencing tokens"))];
        messages.Add(await model.ReplyAsync(messages));
        messages.Add(Results(("call_1", CorpusSearchTool.Search("fencing tokens"))));

        var reply = await model.ReplyAsync(messages);

        var findings = JsonSerializer.Deserialize<SearchFindings>(reply.Text, AIJsonUtilities.DefaultOptions)!;
        Assert.Equal("fencing tokens", findings.Query);
        Assert.Equal("leases-and-fencing", findings.Findings[0].DocumentId);
        Assert.Equal("Leases and fencing tokens", findings.Findings[0].Title);
        var hits = JsonDocument.Parse(CorpusSearchTool.Search("fencing tokens")).RootElement.EnumerateArray().ToList();
        Assert.Equal(hits.Select(static h => h.GetProperty("excerpt").GetString()), findings.Findings.Select(static f => f.Excerpt));
    }

    [Fact]
    public async Task Searcher_SearchFailed_RepliesWithNoFindings()
    {
        var model = new SearcherModel();
        List<ChatMessage> messages = [Instructions(), Request(new SearchRequest("fencing"))];
        messages.Add(await model.ReplyAsync(messages));
        messages.Add(Results(("call_1", "error: the tool timed out")));

        var reply = await model.ReplyAsync(messages);

        var findings = JsonSerializer.Deserialize<SearchFindings>(reply.Text, AIJsonUtilities.DefaultOptions)!;
        Assert.Equal("fencing", findings.Query);
        Assert.Empty(findings.Findings);
    }

    [Fact]
    public async Task Analyst_Findings_EveryClaimCitedAndSourcesListEachDocumentOnce()
    {
        var request = new AnalysisRequest(Question, [Keys, Fencing, Keys with { Excerpt = "Keys are stored." }]);

        var reply = await new AnalystModel().ReplyAsync([Instructions(), Request(request)]);

        var lines = reply.Text.Split('\n');
        var claims = lines.Where(static l => l.Length > 0 && char.IsAsciiDigit(l[0])).ToList();
        Assert.Equal(["1. Keys repeat. [idempotency-keys]", "2. Tokens fence. [leases-and-fencing]", "3. Keys are stored. [idempotency-keys]"], claims);
        var sources = lines.SkipWhile(static l => l != "Sources:").Skip(1).ToList();
        Assert.Equal(["- [idempotency-keys] Idempotency keys", "- [leases-and-fencing] Leases and fencing tokens"], sources);
        Assert.Contains(Question, reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyst_NoFindings_SaysNothingSupportsAnAnswerAndCitesNothing()
    {
        var reply = await new AnalystModel().ReplyAsync([Instructions(), Request(new AnalysisRequest(Question, []))]);

        Assert.Contains("No findings", reply.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("[", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Contracts_RequestSchemas_DescribeTheirParametersForTheModel()
    {
        var search = ShowcaseAgents.Searcher.Contract!.RequestSchema.GetRawText();
        var analysis = ShowcaseAgents.Analyst.Contract!.RequestSchema.GetRawText();

        Assert.Contains("\"query\"", search, StringComparison.Ordinal);
        Assert.Contains("ONE topic", search, StringComparison.Ordinal);
        Assert.Contains("\"findings\"", analysis, StringComparison.Ordinal);
        Assert.Contains("cite it as [idempotency-keys]", analysis, StringComparison.Ordinal);
    }

    private static string Findings(string query, params Finding[] findings) =>
        JsonSerializer.Serialize(new SearchFindings(query, findings), AIJsonUtilities.DefaultOptions);
}
