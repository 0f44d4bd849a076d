namespace AgentGrains.Tests.Grains;

/// <summary>A clock stopped at a given instant (timers and timestamps still run on the system clock).</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
