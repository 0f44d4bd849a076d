using System.Text.Json;
using System.Text.RegularExpressions;
using AgentGrains.Grains.Showcase;

namespace AgentGrains.Tests.Grains.Showcase;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed partial class CorpusSearchToolTests
{
    [Fact]
    public void Documents_Embedded_EightToTenWithTitlesAndBetween150And300Words()
    {
        var documents = ShowcaseCorpus.Documents;

        Assert.InRange(documents.Count, 8, 10);
        Assert.Contains(documents, d => d.Id == "idempotency-keys" && d.Title == "Idempotency keys");
        Assert.All(documents, d =>
        {
            Assert.Matches("^[a-z0-9-]+$", d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.Title), d.Id);
            var words = d.Sentences.Sum(static s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.True(words is >= 150 and <= 300, $"{d.Id} has {words} words");
        });
    }

    [Theory]
    [InlineData("fencing tokens", "leases-and-fencing")]
    [InlineData("idempotency keys", "idempotency-keys")]
    [InlineData("reminders wake stalled runs", "reminders-and-timers")]
    [InlineData("PostgreSQL group commit batch", "postgres-group-commit")]
    [InlineData("virtual actors activation", "virtual-actors")]
    public void Search_TopicQuery_ThatTopicsDocumentComesFirst(string query, string expected)
    {
        var hits = Parse(CorpusSearchTool.Search(query));

        Assert.Equal(expected, hits[0].GetProperty("id").GetString());
    }

    [Fact]
    public void Search_AnyQuery_AtMostThreeHitsWithIdTitleAndAnExcerptQuotedFromTheDocument()
    {
        var hits = Parse(CorpusSearchTool.Search("agent runs retries keys journal"));

        Assert.InRange(hits.Count, 1, 3);
        Assert.All(hits, hit =>
        {
            var document = ShowcaseCorpus.Documents.Single(d => d.Id == hit.GetProperty("id").GetString());
            Assert.Equal(document.Title, hit.GetProperty("title").GetString());
            Assert.Contains(hit.GetProperty("excerpt").GetString(), document.Sentences);
        });
    }

    [Fact]
    public void Search_ExcerptIsTheSentenceWithTheQueryWords()
    {
        var hit = Parse(CorpusSearchTool.Search("fencing counter grows"))[0];

        Assert.Contains("counter", hit.GetProperty("excerpt").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Search_SameQueryTwice_SameJson()
    {
        Assert.Equal(CorpusSearchTool.Search("exactly once effects and retries"), CorpusSearchTool.Search("exactly once effects and retries"));
    }

    [Fact]
    public void Search_EqualScores_OrderedById()
    {
        // "durable" appears once in the body of several documents and in no title: their order is by id.
        var ids = Parse(CorpusSearchTool.Search("durable")).Select(static h => h.GetProperty("id").GetString()).ToList();

        Assert.True(ids.Count > 1, string.Join(", ", ids));
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    [Theory]
    [InlineData("quantum chromodynamics")]
    [InlineData("the and of")]
    [InlineData("")]
    public void Search_NothingMatches_EmptyArray(string query)
    {
        Assert.Equal("[]", CorpusSearchTool.Search(query));
    }

    [Fact]
    public void Create_Tool_NamedCorpusSearchWithAQueryParameterAndNoSideEffects()
    {
        var tool = CorpusSearchTool.Create();

        Assert.Equal("corpus_search", tool.Name);
        Assert.False(tool.HasSideEffects);
        Assert.Contains("\"query\"", tool.Function.JsonSchema.GetRawText(), StringComparison.Ordinal);
    }

    private static List<JsonElement> Parse(string json) => [.. JsonDocument.Parse(json).RootElement.Clone().EnumerateArray()];
}
