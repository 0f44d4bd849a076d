namespace AgentGrains.Runtime.Reminders;

/// <summary>The runtime's <see cref="IGrainReminder"/>: the name and the schedule as registered or stored.</summary>
internal sealed record GrainReminder(string ReminderName, DateTimeOffset DueAt, TimeSpan Period) : IGrainReminder;
