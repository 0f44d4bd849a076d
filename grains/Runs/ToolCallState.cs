using AgentGrains.GrainInterfaces.Runs;

namespace AgentGrains.Grains.Runs;

/// <summary>A tool call of a run as journaled: what the model asked for and, once known, its outcome.</summary>
public sealed class ToolCallState
{
    /// <summary>Its position in the model reply, from 0.</summary>
    public int Index { get; set; }

    /// <summary>The model's id for the call.</summary>
    public string CallId { get; set; } = string.Empty;

    /// <summary>The tool's name as the model sent it.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The arguments as JSON text.</summary>
    public string Arguments { get; set; } = "{}";

    /// <summary>One of <see cref="ToolCallStatus"/>.</summary>
    public string Status { get; set; } = ToolCallStatus.Pending;

    /// <summary>The result (or error text) once journaled, until the step's tool messages are in the history.</summary>
    public string? Result { get; set; }

    /// <summary>The tool's declared risk level, if the tool is known.</summary>
    public string? Risk { get; set; }

    /// <summary>When the call that produced <see cref="Result"/> started; null for a call that never ran (refused, denied, a handoff).</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>How long the call that produced <see cref="Result"/> took.</summary>
    public double? DurationMs { get; set; }

    /// <summary>For a call of a specialist agent: the specialist run it started, once journaled.</summary>
    public string? ChildRunId { get; set; }

    /// <summary>For a call of a specialist agent: the run's status as this call last knew it.</summary>
    public string ChildStatus => Status switch
    {
        ToolCallStatus.Succeeded => RunStatus.Completed,
        ToolCallStatus.Failed => RunStatus.Failed,
        _ => RunStatus.Running,
    };

    /// <summary>Whether <see cref="Result"/> is known (the call is finished, whatever its outcome).</summary>
    public bool IsFinished => Status is ToolCallStatus.Succeeded or ToolCallStatus.Failed or ToolCallStatus.Denied;

    /// <summary>Whether the driver should (re-)invoke it now.</summary>
    public bool IsRunnable => Status is ToolCallStatus.Pending or ToolCallStatus.Approved;

    /// <summary>The idempotency key a tool receives for this call: the same on every attempt.</summary>
    public static string KeyOf(string runId, int step, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{runId}:{step}:{index}");

    /// <summary>The API view.</summary>
    public RunToolCallView ToView(string runId, int step) =>
        new(step, Index, CallId, Name, Arguments, Status, KeyOf(runId, step, Index), Risk, DurationMs, StartedAt);
}
