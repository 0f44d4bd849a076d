using System.ComponentModel;
using System.Text.Json;
using AgentGrains.Grains.Tools;

namespace AgentGrains.Grains.Showcase;

/// <summary>The <c>corpus_search</c> tool: a keyword search over the showcase corpus of articles on durable execution for agents.</summary>
/// <remarks>It reads only the embedded corpus, so it has no side effects and a repeated call returns the same result.</remarks>
public static class CorpusSearchTool
{
    /// <summary>The tool's name.</summary>
    public const string Name = "corpus_search";

    private static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web);

    /// <summary>Creates the tool.</summary>
    public static AgentTool Create() => AgentTool.FromMethod(Search);

    /// <summary>Searches the corpus; the result is a JSON array of up to 3 <c>{id, title, excerpt}</c> objects, best first (<c>[]</c> for no match).</summary>
    [AgentTool(Name, Risk = ToolRisk.Low, SideEffects = false)]
    [Description("Searches a small corpus of articles on durable execution and distributed systems for agents (virtual actors, journals, idempotency, "
        + "exactly-once effects, group commit, leases and fencing, reminders, orchestration, recovery). Returns up to 3 documents as a JSON array "
        + "of {id, title, excerpt}, best first, where excerpt is the best matching sentence; [] when nothing matches.")]
    public static string Search(
        [Description("Keywords to look for, e.g. \"fencing tokens leases\".")] string query) =>
        JsonSerializer.Serialize(ShowcaseCorpus.Search(query), Compact);
}
