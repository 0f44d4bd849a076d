namespace AgentGrains.GrainInterfaces.Diagnostics;

/// <summary>The names AgentGrains' traces and metrics are published under, shared by the silos (which record them) and the hosts that export them.</summary>
public static class TelemetryNames
{
    /// <summary>The <c>ActivitySource</c> of runs, steps, model calls and tool calls, and the <c>Meter</c> of the runtime's metrics.</summary>
    public const string AgentGrains = "AgentGrains";

    /// <summary>Orleans' activity source for calls to the application's grains (after <c>AddActivityPropagation()</c>).</summary>
    public const string OrleansApplication = "Microsoft.Orleans.Application";

    /// <summary>Orleans' activity source for calls to its own system grains and targets (membership, directory, reminders).</summary>
    public const string OrleansRuntime = "Microsoft.Orleans.Runtime";

    /// <summary>Orleans' meter (messaging, activations, scheduler, storage, reminders).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";
}
