namespace AgentGrains.Runtime.Reminders;

/// <summary>A handle to a registered reminder of a grain.</summary>
public interface IGrainReminder
{
    /// <summary>The name the reminder was registered under (unique per grain).</summary>
    string ReminderName { get; }
}
