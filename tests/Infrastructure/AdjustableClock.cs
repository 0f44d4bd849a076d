namespace AgentGrains.Tests.Infrastructure;

/// <summary>The system clock, which a test can move forward: time passing (a person deciding slowly) without the test waiting for it.</summary>
/// <remarks>
/// Only the time of day moves (<see cref="GetUtcNow"/>): timers and timestamps stay the system's, so
/// every wait still ends after its real duration. Code that compares the time of day with a deadline
/// sees the deadline pass at once.
/// </remarks>
public sealed class AdjustableClock : TimeProvider
{
    private long offsetTicks;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref offsetTicks));

    /// <summary>Moves the clock forward by <paramref name="by"/>.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref offsetTicks, by.Ticks);
    }
}
