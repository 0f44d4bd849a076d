namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>A run as its session last committed it.</summary>
/// <param name="RunId">The run's id (<see cref="RunIds"/>).</param>
/// <param name="SessionId">The session it belongs to.</param>
/// <param name="Agent">The agent that runs it.</param>
/// <param name="Status">One of <see cref="RunStatus"/>.</param>
/// <param name="Reason">Why it ended (or is paused); null while running normally.</param>
/// <param name="Input">The user message that started it (its first 200 characters once the run started; the whole text is in the history).</param>
/// <param name="Reply">The final answer, once completed.</param>
/// <param name="Steps">Its steps so far.</param>
/// <param name="InputTokens">Input tokens over all steps.</param>
/// <param name="OutputTokens">Output tokens over all steps.</param>
/// <param name="Cost">Cost in USD by the configured price table; null when the model has no price.</param>
/// <param name="SubmittedAt">When the message was accepted.</param>
/// <param name="StartedAt">When it started running (later than submitted if it queued).</param>
/// <param name="EndedAt">When it reached a terminal status.</param>
/// <param name="Events">The number of journal events it has (its event stream's last id).</param>
/// <param name="Messages">The number of messages in the session's history at its last commit.</param>
public sealed record RunView(
    string RunId,
    string SessionId,
    string Agent,
    string Status,
    string? Reason,
    string Input,
    string? Reply,
    IReadOnlyList<RunStepView> Steps,
    long InputTokens,
    long OutputTokens,
    decimal? Cost,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    long Events,
    long Messages)
{
    /// <summary>Whether the run has reached a terminal status.</summary>
    public bool IsTerminal => RunStatus.IsTerminal(Status);

    /// <summary>Wall time from start to end (or to now, for an active run, as of the view).</summary>
    public double? DurationMs => StartedAt is { } start && EndedAt is { } end ? (end - start).TotalMilliseconds : null;

    /// <summary>The number of tool calls over all steps.</summary>
    public int ToolCalls => Steps.Sum(static s => s.ToolCalls.Count);
}
