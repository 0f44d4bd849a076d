using AgentGrains.Grains.Runs;

namespace AgentGrains.Grains.Sessions;

/// <summary>The small persistent state of an agent session (its conversation is a separate log).</summary>
/// <remarks>
/// Written on every step of a run, so it stays small: the active run (bounded by the agent's
/// budgets), the queue behind it and counters. Anything that grows with the session belongs in a
/// log (history, events, runs). New fields must have defaults that read older rows correctly.
/// </remarks>
public sealed class AgentSessionState
{
    /// <summary>The agent the session talks to; null until the session is created.</summary>
    public string? Agent { get; set; }

    /// <summary>The agent answering new messages, once a handoff moved the conversation; null for <see cref="Agent"/>.</summary>
    public string? CurrentAgent { get; set; }

    /// <summary>The user whose long-term memory the session uses, given at creation and never changed; null for none.</summary>
    public string? UserId { get; set; }

    /// <summary>Who created it (an API key's name), whose runs' approvals are theirs (or an admin's); null for nobody in particular.</summary>
    public string? Owner { get; set; }

    /// <summary>When the session was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Runs submitted (the last run number given out).</summary>
    public long Runs { get; set; }

    /// <summary>Runs ended (rows in the <c>runs</c> log; runs end in number order).</summary>
    public long RunsFinished { get; set; }

    /// <summary>The run in progress (running or awaiting approval), if any.</summary>
    public RunState? Active { get; set; }

    /// <summary>Runs waiting behind <see cref="Active"/>, in order.</summary>
    public List<RunState> Queue { get; set; } = [];

    /// <summary>Calls accepted per tool over the session (for per-tool limits).</summary>
    public Dictionary<string, int> ToolUse { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The running summary of the conversation before <see cref="SummaryThrough"/>, bounded by the agent's <c>SummaryMaxLength</c>; null until one is made.</summary>
    public string? Summary { get; set; }

    /// <summary>The history position the <see cref="Summary"/> covers up to (exclusive); 0 without one.</summary>
    public long SummaryThrough { get; set; }

    /// <summary>Runs completed (user messages answered).</summary>
    public long Turns { get; set; }

    /// <summary>Model calls made (steps), over all turns.</summary>
    public long ModelCalls { get; set; }

    /// <summary>Tool calls made, over all turns (failed ones included).</summary>
    public long ToolCalls { get; set; }

    /// <summary>Input tokens the model reported, over all turns.</summary>
    public long InputTokens { get; set; }

    /// <summary>Output tokens the model reported, over all turns.</summary>
    public long OutputTokens { get; set; }
}
