namespace AgentGrains.Storage.Journal;

/// <summary>Which session heads one page of <see cref="ISessionJournal.ListAsync"/> holds.</summary>
/// <param name="After">The last session id of the previous page (<see cref="JournalSessionPage.Next"/>); null for the first page.</param>
/// <param name="Limit">The most sessions the page holds, 1 to <see cref="MaxLimit"/>.</param>
/// <param name="Label">Only sessions created with this <see cref="JournalCommit.Label"/>; null for every label.</param>
/// <param name="IncludeDerived">Whether sessions whose id contains <see cref="JournalLayout.DerivedMark"/> (started by another session's run) are listed too.</param>
public sealed record JournalListQuery(string? After, int Limit, string? Label = null, bool IncludeDerived = false)
{
    /// <summary>The largest page a query may ask for.</summary>
    public const int MaxLimit = 1000;
}
