using System.Globalization;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>Run ids: <c>{sessionId}~{number}</c>, so a run id names the session grain that holds it.</summary>
/// <remarks>
/// <c>~</c> never appears in a session id and needs no escaping in a URL path, so the split is
/// unambiguous and a run id can travel in <c>/v1/runs/{runId}</c> as is.
/// </remarks>
public static class RunIds
{
    /// <summary>The separator between the session id and the run number.</summary>
    public const char Separator = '~';

    /// <summary>The id of run <paramref name="number"/> of session <paramref name="sessionId"/>.</summary>
    public static string Format(string sessionId, long number) =>
        string.Create(CultureInfo.InvariantCulture, $"{sessionId}{Separator}{number}");

    /// <summary>Splits a run id; false if it is not one.</summary>
    public static bool TryParse(string? runId, out string sessionId, out long number)
    {
        sessionId = string.Empty;
        number = 0;
        if (string.IsNullOrEmpty(runId))
        {
            return false;
        }

        var at = runId.LastIndexOf(Separator);
        if (at <= 0 || at == runId.Length - 1
            || !long.TryParse(runId.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out number)
            || number <= 0)
        {
            return false;
        }

        sessionId = runId[..at];
        return true;
    }
}
