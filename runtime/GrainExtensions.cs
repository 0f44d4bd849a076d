namespace AgentGrains.Runtime;

/// <summary>Orleans-style accessors for a grain's key.</summary>
public static class GrainExtensions
{
    /// <summary>The string key of <paramref name="grain"/>.</summary>
    public static string GetPrimaryKeyString(this Grain grain)
    {
        ArgumentNullException.ThrowIfNull(grain);
        return grain.GrainId.Key;
    }
}
