namespace AgentGrains.Grains.Runs;

/// <summary>What a change of the run engine asks of the grain that drives it, beyond the state and the appends: reminders, the driver, cancellations after the commit.</summary>
/// <remarks>
/// The engine only decides; the grain applies these in the same turn (reminders and the driver)
/// or once the turn has committed (<see cref="Cancellations"/>), so the engine stays a plain class
/// that runs without a silo.
/// </remarks>
public sealed class SessionEffects
{
    // Created when first asked for: most changes ask for neither, and an idle session keeps its empty set.
    private List<ReminderChange>? reminders;
    private List<SpecialistCancellation>? cancellations;
    private List<EndedRun>? ended;

    /// <summary>Whether the session's state changed (it must be written, and the change published).</summary>
    public bool StateChanged { get; private set; }

    /// <summary>The driver's change, if any: the last one asked for wins (starting a driver stops the current one first).</summary>
    public DriverChange? Driver { get; private set; }

    /// <summary>Reminder changes, in the order they were asked for.</summary>
    public IReadOnlyList<ReminderChange> Reminders => (IReadOnlyList<ReminderChange>?)reminders ?? [];

    /// <summary>Specialist runs to cancel once the turn has committed (never before: a manager run that did not end must not lose them).</summary>
    public IReadOnlyList<SpecialistCancellation> Cancellations => (IReadOnlyList<SpecialistCancellation>?)cancellations ?? [];

    /// <summary>Runs this change ended, for the telemetry to report once the turn has committed.</summary>
    public IReadOnlyList<EndedRun> Ended => (IReadOnlyList<EndedRun>?)ended ?? [];

    /// <summary>Whether nothing was asked for.</summary>
    public bool IsEmpty => !StateChanged && Driver is null && reminders is null && cancellations is null && ended is null;

    internal void MarkChanged() => StateChanged = true;

    internal void StartDriver(string? resumeReason) => Driver = new DriverChange(Start: true, resumeReason);

    internal void StopDriver() => Driver = new DriverChange(Start: false, null);

    internal void Register(string name, TimeSpan due, TimeSpan period) => (reminders ??= []).Add(new ReminderChange(name, due, period));

    internal void Unregister(string name) => (reminders ??= []).Add(new ReminderChange(name, null, TimeSpan.Zero));

    internal void CancelAfterCommit(IReadOnlyList<string> runIds, string reason) => (cancellations ??= []).Add(new SpecialistCancellation(runIds, reason));

    internal void End(string runId, string agent, string status, string? reason) => (ended ??= []).Add(new EndedRun(runId, agent, status, reason));
}

/// <summary>A run a change ended: its agent (the one answering at its end), status and reason.</summary>
public sealed record EndedRun(string RunId, string Agent, string Status, string? Reason);

/// <summary>Start a new driver for the active run (with the reason it resumes, if it does), or stop the current one.</summary>
public sealed record DriverChange(bool Start, string? ResumeReason);

/// <summary>Register (or update) a reminder first due after <paramref name="Due"/>, then every <paramref name="Period"/> (zero: once); a null <paramref name="Due"/> unregisters it.</summary>
public sealed record ReminderChange(string Name, TimeSpan? Due, TimeSpan Period);

/// <summary>Specialist runs that their manager run no longer waits for, and the reason they are cancelled with.</summary>
public sealed record SpecialistCancellation(IReadOnlyList<string> RunIds, string Reason);
