namespace AgentGrains.Storage.Memory;

/// <summary>The argument checks every memory store makes before it touches its database.</summary>
internal static class MemoryArguments
{
    public static void Validate(NewMemoryFact fact)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentException.ThrowIfNullOrEmpty(fact.UserId, nameof(fact));
        ArgumentException.ThrowIfNullOrEmpty(fact.Key, nameof(fact));
        ArgumentException.ThrowIfNullOrWhiteSpace(fact.Text, nameof(fact));
        ArgumentNullException.ThrowIfNull(fact.SessionId, nameof(fact));
        ArgumentNullException.ThrowIfNull(fact.RunId, nameof(fact));
        ArgumentOutOfRangeException.ThrowIfNegative(fact.Step, nameof(fact));
    }

    public static void Validate(string userId, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
    }

    public static void ValidateList(string userId, long before, int limit)
    {
        Validate(userId, limit);
        ArgumentOutOfRangeException.ThrowIfNegative(before);
    }

    /// <summary>The exclusive upper bound of a page's ids: <paramref name="before"/>, or every id for 0.</summary>
    public static long UpperBound(long before) => before == 0 ? long.MaxValue : before;
}
