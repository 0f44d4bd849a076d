using System.Globalization;
using System.Text;

namespace AgentGrains.Storage.Journal;

/// <summary>The messages of <see cref="JournalConflictException"/>, the same on every provider.</summary>
/// <remarks>They name the session and what was found taken (never a payload, which may hold user data).</remarks>
internal static class JournalConflicts
{
    private const string NothingWritten = " Nothing of this commit was written; reload the session.";

    public static string HeadMoved(string sessionId, long expectedVersion) => expectedVersion == 0
        ? $"Session '{sessionId}' already has a journal, but this commit expected none (version 0): another activation committed first." + NothingWritten
        : string.Create(CultureInfo.InvariantCulture, $"Session '{sessionId}' is no longer at version {expectedVersion}: another activation committed since.") + NothingWritten;

    public static string RowTaken(string sessionId, string stream, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"Session '{sessionId}': row {sequence} of stream '{stream}' is already taken.") + NothingWritten;

    /// <summary>For a provider that learns only that one of the rows was taken: names every position the commit appends.</summary>
    public static string RowsTaken(string sessionId, IReadOnlyList<JournalAppend> appends)
    {
        if (appends.Count == 1)
        {
            return RowTaken(sessionId, appends[0].Stream, appends[0].Sequence);
        }

        var positions = new StringBuilder();
        foreach (var group in appends.GroupBy(a => a.Stream, StringComparer.Ordinal))
        {
            if (positions.Length > 0)
            {
                positions.Append(", ");
            }

            var sequences = group.Select(a => a.Sequence).ToList();
            positions.Append(CultureInfo.InvariantCulture, $"'{group.Key}' {sequences.Min()}");
            if (sequences.Count > 1)
            {
                positions.Append(CultureInfo.InvariantCulture, $"..{sequences.Max()}");
            }
        }

        return $"Session '{sessionId}': a row this commit appends ({positions}) is already taken." + NothingWritten;
    }

    public static string KeyRecorded(string sessionId, string key) =>
        $"Session '{sessionId}' already recorded a message with key '{key}'." + NothingWritten;

    /// <summary>For a provider that learns only that one of the keys was recorded: names every key the commit records.</summary>
    public static string KeysRecorded(string sessionId, IReadOnlyList<MessageRecord> messages) => messages.Count == 1
        ? KeyRecorded(sessionId, messages[0].Key)
        : $"Session '{sessionId}' already recorded a message with one of the keys {string.Join(", ", messages.Select(m => $"'{m.Key}'"))}." + NothingWritten;
}
