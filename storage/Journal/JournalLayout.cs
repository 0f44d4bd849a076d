namespace AgentGrains.Storage.Journal;

/// <summary>Where the journal keeps a session in the shared tables.</summary>
/// <remarks>
/// The head is the session grain's state row as the pre-Orleans runtime wrote it (its persistent
/// state was named <c>session</c>), so a database written then loads as a journal.
/// </remarks>
internal static class JournalLayout
{
    /// <summary>The <c>grain_state.name</c> of a session's head.</summary>
    public const string HeadName = "session";

    /// <summary>The character that marks a derived session id: one a run started for a call of its own (a specialist's session).</summary>
    /// <remarks>Listings leave such sessions out unless asked for them (<see cref="JournalListQuery.IncludeDerived"/>).</remarks>
    public const string DerivedMark = "~";
}
