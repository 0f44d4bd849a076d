using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AgentGrains.Grains.Showcase;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Gateway;

/// <summary>
/// A model for <see cref="FakeOpenAIServer.DefaultResponder"/> that follows the showcase research
/// agents' instructions for <see cref="Question"/>: two searches (<c>idempotency keys</c>,
/// <c>fencing tokens</c>) in one reply, each searcher calling <c>corpus_search</c> and replying with
/// its best finding as JSON, then the analyst, whose report cites the findings.
/// </summary>
public sealed class ResearchModelScript
{
    /// <summary>The question the script answers.</summary>
    public const string Question = "How do idempotency keys and fencing tokens work?";

    /// <summary>The reply of a research run that completed.</summary>
    public const string Report = "Report from the model: see [idempotency-keys] and [leases-and-fencing].";

    private readonly ConcurrentDictionary<string, bool> hangs = new(StringComparer.Ordinal);

    /// <summary>The next searcher request for <paramref name="query"/> hangs until its client gives up.</summary>
    public void HangSearchOnce(string query) => hangs[query] = true;

    /// <summary>Plays a model that follows the agents' instructions, as far as the tests need.</summary>
    /// <summary>The showcase agent a request is for, by its system prompt.</summary>
    public static string Agent(FakeChatRequest request)
    {
        var system = request.Messages[0].Content ?? string.Empty;
        return ShowcaseAgents.All.First(a => system.StartsWith(a.Instructions, StringComparison.Ordinal)).Name;
    }

    public FakeResponse Respond(FakeChatRequest request)
    {
        var results = request.Messages.Where(static m => m.Role == "tool").Select(static m => m.Content!).ToList();
        switch (Agent(request))
        {
            case ShowcaseAgents.ResearchName when results.Count == 0:
                return FakeResponse.Calls(
                [
                    new FakeToolCall(ShowcaseAgents.SearcherName, """{"query":"idempotency keys"}""", "call_1"),
                    new FakeToolCall(ShowcaseAgents.SearcherName, """{"query":"fencing tokens"}""", "call_2"),
                ]);
            case ShowcaseAgents.ResearchName when results.Count == 2:
                var findings = new JsonArray([.. results.SelectMany(static r => JsonNode.Parse(r)!["findings"]!.AsArray()).Select(static f => f!.DeepClone())]);
                var analysis = new JsonObject { ["question"] = Question, ["findings"] = findings };
                return FakeResponse.Call(ShowcaseAgents.AnalystName, analysis.ToJsonString(), "call_3");
            case ShowcaseAgents.ResearchName:
                return FakeResponse.Text(results[^1]);
            case ShowcaseAgents.SearcherName when results.Count == 0:
                var query = JsonNode.Parse(request.Messages[^1].Content!)!["query"]!.GetValue<string>();
                if (hangs.TryRemove(query, out _))
                {
                    return FakeResponse.Hang();
                }

                return FakeResponse.Call(CorpusSearchTool.Name, new JsonObject { ["query"] = query }.ToJsonString(), "call_1");
            case ShowcaseAgents.SearcherName:
                var hits = JsonNode.Parse(results[0])!.AsArray();
                var reply = new JsonObject
                {
                    ["query"] = JsonNode.Parse(request.Messages[1].Content!)!["query"]!.GetValue<string>(),
                    ["findings"] = new JsonArray([.. hits.Take(1).Select(static h => (JsonNode)new JsonObject
                    {
                        ["documentId"] = h!["id"]!.GetValue<string>(),
                        ["title"] = h["title"]!.GetValue<string>(),
                        ["excerpt"] = h["excerpt"]!.GetValue<string>(),
                    })]),
                };
                return FakeResponse.Text(reply.ToJsonString());
            default:
                var cited = string.Join(" and ", JsonNode.Parse(request.Messages[^1].Content!)!["findings"]!.AsArray().Select(static f => $"[{f!["documentId"]!.GetValue<string>()}]"));
                return FakeResponse.Text($"Report from the model: see {cited}.");
        }
    }
}
