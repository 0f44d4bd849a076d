using System.Text.Json;
using AgentGrains.GrainInterfaces.Specialists;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Showcase;

/// <summary>The <c>searcher</c> specialist's offline model: one <c>corpus_search</c> call, then the findings as <see cref="SearchFindings"/> JSON.</summary>
/// <remarks>
/// Its input (the run's user message) is the <see cref="SearchRequest"/> JSON its manager sent. A
/// search that failed gives empty findings; a request it cannot read is answered in text, which
/// the manager receives as an <c>InvalidResponse</c> error.
/// </remarks>
internal sealed class SearcherModel() : OfflineChatClient("offline-searcher")
{
    /// <inheritdoc />
    protected override ChatMessage Decide(IReadOnlyList<ChatMessage> messages)
    {
        if (!TryRead(Input(messages), out var request))
        {
            return Say("I need a JSON request like {\"query\":\"idempotency keys\"}.");
        }

        var search = CallsOfCurrentRun(messages).LastOrDefault(static c => c.Call.Name == CorpusSearchTool.Name);
        if (search is null)
        {
            return Call(messages, (CorpusSearchTool.Name, new Dictionary<string, object?> { ["query"] = request.Query }));
        }

        var findings = search.Failed || search.Result is null ? [] : ReadHits(search.Result);
        return Say(JsonSerializer.Serialize(new SearchFindings(request.Query, findings), Json));
    }

    private static bool TryRead(string input, out SearchRequest request)
    {
        request = null!;
        try
        {
            if (JsonSerializer.Deserialize<SearchRequest>(input, Json) is { Query: { Length: > 0 } } read)
            {
                request = read;
                return true;
            }
        }
        catch (JsonException)
        {
            // Not a request: answered in text below.
        }

        return false;
    }

    private static List<Finding> ReadHits(string result)
    {
        try
        {
            return [.. (JsonSerializer.Deserialize<List<CorpusHit>>(result, Json) ?? []).Select(static h => new Finding(h.Id, h.Title, h.Excerpt))];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
