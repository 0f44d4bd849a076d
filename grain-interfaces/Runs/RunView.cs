using Orleans;

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
/// <param name="Silo">The silo that holds the run's session (for a finished run: where it ended).</param>
/// <param name="ParentRunId">For a specialist's run: the manager run that delegated it; null for a run a person started.</param>
/// <param name="Path">The agents from the root manager down to this run's agent (one name for a run a person started).</param>
/// <param name="Children">The specialist runs this run delegated to, in call order (the gateway fills in their own children).</param>
/// <param name="DelegatedTokens">Tokens its finished specialist runs used (theirs and their descendants'); they count toward this run's token budget.</param>
/// <param name="DelegatedCost">What its finished specialist runs cost; counts toward this run's cost budget.</param>
[GenerateSerializer]
[Alias("agentgrains.RunView")]
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
    long Messages,
    string? Silo = null,
    string? ParentRunId = null,
    IReadOnlyList<string>? Path = null,
    IReadOnlyList<RunChildView>? Children = null,
    long DelegatedTokens = 0,
    decimal? DelegatedCost = null)
{
    /// <summary>Whether the run has reached a terminal status.</summary>
    public bool IsTerminal => RunStatus.IsTerminal(Status);

    /// <summary>Wall time from start to end (or to now, for an active run, as of the view).</summary>
    public double? DurationMs => StartedAt is { } start && EndedAt is { } end ? (end - start).TotalMilliseconds : null;

    /// <summary>Tokens of this run and of every specialist run under it that has finished: what its token budget counts.</summary>
    public long TotalTokens => InputTokens + OutputTokens + DelegatedTokens;

    /// <summary>The number of tool calls over all steps.</summary>
    public int ToolCalls => Steps.Sum(static s => s.ToolCalls.Count);
}
