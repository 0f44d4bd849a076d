using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentGrains.GrainInterfaces.Specialists;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Showcase;

/// <summary>The <c>research</c> manager's offline model: plan, search in parallel, hand the findings to the analyst, answer with its report.</summary>
/// <remarks>
/// <para>It reads its progress from the current run's messages, so a resumed run picks up where
/// its journal ends:</para>
/// <list type="number">
/// <item>no calls yet: it splits the question into 2 or 3 sub-queries (<see cref="SubQueries"/>) and
/// calls <c>searcher</c> once for each, all in one reply, so the searches run in parallel;</item>
/// <item>searcher results in: it merges their findings (the first finding per document wins) and
/// calls <c>analyst</c> with the question and those findings;</item>
/// <item>analyst result in: it answers with the report, noting any search that failed.</item>
/// </list>
/// <para>A failed search (an <c>error:</c> result) leaves its part out; when every search failed,
/// or the analyst did, it says so instead of answering.</para>
/// </remarks>
internal sealed partial class ResearchModel() : OfflineChatClient("offline-research")
{
    /// <summary>The most searches one question starts.</summary>
    public const int MaxSearches = 3;

    // Below this many keywords a question with no separators is searched as one query.
    private const int MinKeywordsToHalve = 4;

    /// <summary>The sub-queries of <paramref name="question"/>: its parts between commas, semicolons, question marks and "and", as keywords.</summary>
    /// <remarks>
    /// A question with one part of four or more keywords is halved; parts beyond the third are
    /// searched together with the third. Parts without a keyword are dropped.
    /// </remarks>
    public static IReadOnlyList<string> SubQueries(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var parts = Separator().Split(question)
            .Select(static p => Keywords.Words(p).ToList())
            .Where(static w => w.Count > 0)
            .ToList();
        if (parts.Count == 1 && parts[0].Count >= MinKeywordsToHalve)
        {
            var half = (parts[0].Count + 1) / 2;
            parts = [parts[0][..half], parts[0][half..]];
        }

        if (parts.Count > MaxSearches)
        {
            parts = [.. parts.Take(MaxSearches - 1), [.. parts.Skip(MaxSearches - 1).SelectMany(static p => p)]];
        }

        return [.. parts.Select(static p => string.Join(' ', p)).Distinct(StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    protected override ChatMessage Decide(IReadOnlyList<ChatMessage> messages)
    {
        var question = Input(messages);
        var calls = CallsOfCurrentRun(messages);
        var searches = calls.Where(static c => c.Call.Name == ShowcaseAgents.SearcherName).ToList();
        var analysis = calls.LastOrDefault(static c => c.Call.Name == ShowcaseAgents.AnalystName);
        if (searches.Count == 0)
        {
            var queries = SubQueries(question);
            return queries.Count == 0
                ? Say("Ask me a question about durable execution for agents, e.g. \"How do idempotency keys and fencing tokens keep tool calls exactly once?\"")
                : Call(messages, queries.Select(static q => (ShowcaseAgents.SearcherName, new Dictionary<string, object?> { ["query"] = q })));
        }

        var failures = searches.Where(static s => s.Failed || s.Result is null).ToList();
        if (analysis is null)
        {
            if (failures.Count == searches.Count)
            {
                return Say($"I could not research this: every search failed.{FailureNote(failures)}");
            }

            var findings = searches.Except(failures)
                .SelectMany(static s => ReadFindings(s.Result!))
                .DistinctBy(static f => f.DocumentId, StringComparer.Ordinal)
                .ToList();
            return Call(messages, (ShowcaseAgents.AnalystName, new Dictionary<string, object?>
            {
                ["question"] = question,
                ["findings"] = JsonSerializer.SerializeToElement(findings, Json),
            }));
        }

        return analysis.Failed || analysis.Result is null
            ? Say($"The searches worked, but the analyst failed to write the report ({analysis.Result ?? "no result"}).{FailureNote(failures)}")
            : Say(analysis.Result + FailureNote(failures));
    }

    private static string FailureNote(List<CallAndResult> failures)
    {
        if (failures.Count == 0)
        {
            return string.Empty;
        }

        var note = new StringBuilder("\n\nNot covered, because the search failed:");
        foreach (var failure in failures)
        {
            note.Append("\n- \"").Append(StringArgument(failure.Call, "query")).Append("\": ")
                .Append(failure.Result?[Tools.ToolResult.ErrorPrefix.Length..] ?? "no result");
        }

        return note.ToString();
    }

    private static List<Finding> ReadFindings(string result)
    {
        try
        {
            return [.. JsonSerializer.Deserialize<SearchFindings>(result, Json)?.Findings ?? []];
        }
        catch (JsonException)
        {
            // The contract checks a searcher's reply before the manager sees it; this is a reply from elsewhere.
            return [];
        }
    }

    [GeneratedRegex(@"[,;?]|\band\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Separator();
}
