using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>A run as a listing shows it: its outcome without its steps.</summary>
/// <param name="RunId">The run's id (<see cref="RunIds"/>).</param>
/// <param name="Agent">The agent that runs it (after a handoff: the agent handed to).</param>
/// <param name="Status">One of <see cref="RunStatus"/>.</param>
/// <param name="Reason">Why it ended (or is paused); null while running normally.</param>
/// <param name="Input">The start of the user message that started it (at most 200 characters, then "…").</param>
/// <param name="Reply">The start of its final answer (at most 200 characters, then "…"), once completed.</param>
/// <param name="SubmittedAt">When the message was accepted.</param>
/// <param name="StartedAt">When it started running.</param>
/// <param name="EndedAt">When it reached a terminal status.</param>
[GenerateSerializer]
[Alias("agentgrains.RunSummary")]
public sealed record RunSummary(
    string RunId,
    string Agent,
    string Status,
    string? Reason,
    string Input,
    string? Reply,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt)
{
    /// <summary>The longest <see cref="Input"/> and <see cref="Reply"/> a summary carries, before the "…".</summary>
    public const int SnippetLength = 200;

    /// <summary>The summary of <paramref name="run"/>.</summary>
    public static RunSummary From(RunView run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new(run.RunId, run.Agent, run.Status, run.Reason, Snippet(run.Input), run.Reply is { } reply ? Snippet(reply) : null, run.SubmittedAt, run.StartedAt, run.EndedAt);
    }

    private static string Snippet(string text) =>
        text.Length <= SnippetLength ? text : string.Concat(text.AsSpan(0, SnippetLength), "…");
}
