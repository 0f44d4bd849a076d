using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentGrains.GrainInterfaces.Specialists;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Showcase;

/// <summary>The <c>analyst</c> specialist's offline model: a short report from the findings it is given, every claim cited.</summary>
/// <remarks>
/// Its input is the <see cref="AnalysisRequest"/> JSON its manager sent. Each finding becomes one
/// numbered claim (the excerpt) followed by its citation <c>[document-id]</c>; a final
/// <c>Sources:</c> list names each cited document once, in the order first cited. It cites nothing
/// it was not given.
/// </remarks>
internal sealed class AnalystModel() : OfflineChatClient("offline-analyst")
{
    /// <summary>The report for <paramref name="request"/>, as the offline analyst writes it.</summary>
    public static string Report(AnalysisRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var findings = request.Findings ?? [];
        if (findings.Count == 0)
        {
            return $"No findings were given for \"{request.Question}\", so nothing in the corpus supports an answer.\n\nSources: none";
        }

        var report = new StringBuilder();
        var documents = findings.Select(static f => f.DocumentId).Distinct(StringComparer.Ordinal).Count();
        report.Append(CultureInfo.InvariantCulture, $"Report: {request.Question}\n\n");
        report.Append(CultureInfo.InvariantCulture, $"What {documents} {(documents == 1 ? "document says" : "documents say")}:\n");
        for (var i = 0; i < findings.Count; i++)
        {
            var claim = findings[i].Excerpt.Trim();
            report.Append(CultureInfo.InvariantCulture, $"{i + 1}. {claim} [{findings[i].DocumentId}]\n");
        }

        report.Append("\nSources:\n");
        foreach (var source in findings.DistinctBy(static f => f.DocumentId, StringComparer.Ordinal))
        {
            report.Append(CultureInfo.InvariantCulture, $"- [{source.DocumentId}] {source.Title}\n");
        }

        return report.ToString().TrimEnd();
    }

    /// <inheritdoc />
    protected override ChatMessage Decide(IReadOnlyList<ChatMessage> messages)
    {
        try
        {
            return JsonSerializer.Deserialize<AnalysisRequest>(Input(messages), Json) is { Question: not null } request
                ? Say(Report(request))
                : Say("I need a JSON request with a question and findings.");
        }
        catch (JsonException ex)
        {
            return Say($"I cannot read the request as question and findings: {ex.Message}");
        }
    }
}
