namespace AgentGrains.Runtime.Reminders;

/// <summary>One tick of a reminder.</summary>
/// <param name="FirstTickTime">When the reminder was (last registered to be) first due.</param>
/// <param name="Period">The time between ticks; zero for a one-shot reminder.</param>
/// <param name="CurrentTickTime">When this tick was scheduled (it is delivered at or after this time).</param>
public readonly record struct TickStatus(DateTimeOffset FirstTickTime, TimeSpan Period, DateTimeOffset CurrentTickTime);
