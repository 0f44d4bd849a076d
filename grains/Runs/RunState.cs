using System.Text.Json.Serialization;
using AgentGrains.GrainInterfaces.Runs;

namespace AgentGrains.Grains.Runs;

/// <summary>A run as its session journals it: the active run lives in the session state, finished ones are rows of the <c>runs</c> log.</summary>
/// <remarks>
/// Its size is bounded by the agent's step budget, not by the session's length, so writing it on
/// every step keeps the per-step cost flat however long the session grows.
/// </remarks>
public sealed class RunState
{
    /// <summary>The run's number in its session, from 1 (also its position in the <c>runs</c> log, plus one).</summary>
    public long Number { get; set; }

    /// <summary>The run id.</summary>
    public string RunId { get; set; } = string.Empty;

    /// <summary>One of <see cref="RunStatus"/>.</summary>
    public string Status { get; set; } = RunStatus.Queued;

    /// <summary>Why it ended, or why it waits.</summary>
    public string? Reason { get; set; }

    /// <summary>The longest <see cref="Input"/> kept once the run has started.</summary>
    public const int PreviewLength = 200;

    /// <summary>The user message while queued; its first <see cref="PreviewLength"/> characters once started (the whole text is in the history).</summary>
    public string Input { get; set; } = string.Empty;

    /// <summary>The final answer.</summary>
    public string? Reply { get; set; }

    /// <summary>When the message was accepted.</summary>
    public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When the run ended.</summary>
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>When the last step, result or decision was journaled (the watchdog's measure of progress).</summary>
    public DateTimeOffset LastProgressAt { get; set; }

    /// <summary>Since when it waits for approval.</summary>
    public DateTimeOffset? AwaitingSince { get; set; }

    /// <summary>Resumes since the last journaled step or result (a run that keeps dying without progress fails).</summary>
    public int Resumes { get; set; }

    /// <summary>Whether the run's summary step failed (the run goes on with the summary it had, and does not ask again).</summary>
    public bool SummarySkipped { get; set; }

    /// <summary>The user's facts given to its model calls (an agent with memory), recalled and journaled before its first step; null until then.</summary>
    public List<string>? Memory { get; set; }

    /// <summary>Time spent waiting for approvals, not counted against the wall-time budget.</summary>
    public TimeSpan ApprovalWait { get; set; }

    /// <summary>Input tokens over all steps.</summary>
    public long InputTokens { get; set; }

    /// <summary>Output tokens over all steps.</summary>
    public long OutputTokens { get; set; }

    /// <summary>Cost in USD; null while no step had a known price.</summary>
    public decimal? Cost { get; set; }

    /// <summary>The steps journaled so far.</summary>
    public List<StepState> Steps { get; set; } = [];

    /// <summary>Position of its first event in the session's <c>events</c> log.</summary>
    public long FirstEvent { get; set; }

    /// <summary>How many events it has journaled.</summary>
    public long EventCount { get; set; }

    /// <summary>Position of its user message in the session's history.</summary>
    public long HistoryStart { get; set; }

    /// <summary>The number of messages in the history when it ended.</summary>
    public long Messages { get; set; }

    /// <summary>The agent answering it now, once a handoff moved it from the session's agent; null for the session's agent.</summary>
    public string? Agent { get; set; }

    /// <summary>For a specialist's run: the manager run that delegated it.</summary>
    public string? ParentRunId { get; set; }

    /// <summary>For a specialist's run: the agents from the root manager down to this run's agent; empty for a run a person started.</summary>
    public List<string> Path { get; set; } = [];

    /// <summary>Tokens of the finished specialist runs it delegated to (and theirs): counted toward its token budget.</summary>
    public long DelegatedTokens { get; set; }

    /// <summary>Cost of the finished specialist runs it delegated to: counted toward its cost budget.</summary>
    public decimal? DelegatedCost { get; set; }

    /// <summary>The W3C trace context (traceparent) of the request that started it: its spans are parented to it on every silo that drives it; null when nobody traced the request.</summary>
    /// <remarks>Journaled with the run, so a run resumed after a crash or a takeover stays in its message's trace. Left out of the stored JSON when null.</remarks>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; set; }

    /// <summary>The silo whose driver last ran it.</summary>
    public string? Silo { get; set; }

    /// <summary>Tokens counted against the token budget: its own and its specialists'.</summary>
    public long BudgetTokens => InputTokens + OutputTokens + DelegatedTokens;

    /// <summary>Cost counted against the cost budget: its own and its specialists'; null while nothing had a price.</summary>
    public decimal? BudgetCost => Cost is null && DelegatedCost is null ? null : (Cost ?? 0) + (DelegatedCost ?? 0);

    /// <summary>A queued run cancelled before it started; it ends when its turn in the queue comes.</summary>
    public bool CancelRequested { get; set; }

    /// <summary>The first <see cref="PreviewLength"/> characters of <paramref name="text"/>.</summary>
    public static string Preview(string text) =>
        text.Length <= PreviewLength ? text : string.Concat(text.AsSpan(0, PreviewLength), "…");

    /// <summary>The API view.</summary>
    public RunView ToView(string sessionId, string agent, long messages) => new(
        RunId,
        sessionId,
        Agent ?? agent,
        // Cancelled while queued: it is over for the user now, though it leaves the queue (and
        // journals its end) only when its turn comes, so runs still end in number order.
        CancelRequested ? RunStatus.Cancelled : Status,
        Reason,
        Input,
        Reply,
        [.. Steps.Select(s => new RunStepView(s.Number, s.ModelDurationMs, s.InputTokens, s.OutputTokens, [.. s.Calls.Select(c => c.ToView(RunId, s.Number))], s.ModelStartedAt))],
        InputTokens,
        OutputTokens,
        Cost,
        SubmittedAt,
        StartedAt,
        EndedAt,
        EventCount,
        messages,
        Silo,
        ParentRunId,
        Path.Count > 0 ? Path : [Agent ?? agent],
        ChildViews(),
        DelegatedTokens,
        DelegatedCost);

    private List<RunChildView>? ChildViews()
    {
        List<RunChildView>? children = null;
        foreach (var step in Steps)
        {
            foreach (var call in step.Calls)
            {
                if (call.ChildRunId is { } child)
                {
                    (children ??= []).Add(new RunChildView(child, call.Name, step.Number, call.Index, call.ChildStatus));
                }
            }
        }

        return children;
    }
}
