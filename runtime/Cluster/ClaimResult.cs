namespace AgentGrains.Runtime.Cluster;

/// <summary>The outcome of trying to own a grain: this silo's new epoch, or the live silo that owns it.</summary>
internal sealed record ClaimResult(long? Epoch, string? Owner)
{
    public static ClaimResult Claimed(long epoch) => new(epoch, null);

    public static ClaimResult OwnedBy(string owner) => new(null, owner);
}
