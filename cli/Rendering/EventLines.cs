using AgentGrains.Cli.Http;

namespace AgentGrains.Cli.Rendering;

/// <summary>Run events as plain lines: what <c>chat</c> prints when its output is not a terminal, and what <c>runs tail</c> prints.</summary>
internal static class EventLines
{
    /// <summary>The approval question for a call that waits for a person.</summary>
    public static string ApprovalQuestion(ToolCallDto call)
    {
        var to = Format.JsonString(call.Arguments, "to");
        var what = to is null ? $"{call.Name} {Format.OneLine(call.Arguments, 120)}" : $"{call.Name} to {to}";
        return $"approve {what}? [y/n]";
    }

    /// <summary>The lines <c>chat</c> shows for an event (none for the followed run's start and end: the chat shows the reply itself).</summary>
    public static IEnumerable<string> Chat(RunEventDto e)
    {
        var indent = e.IsRoot ? string.Empty : new string(' ', 2 * (e.Path!.Count - 1)) + $"[{e.Path![^1]}] ";
        switch (e.Type)
        {
            case "model.reply":
                foreach (var call in e.ToolCalls ?? [])
                {
                    yield return $"{indent}→ tool {call.Name} {Format.OneLine(call.Arguments, 200)}";
                }

                break;
            case "tool.result":
                yield return e.Call?.Status is null or "succeeded"
                    ? $"{indent}← tool result {Format.OneLine(e.Text)}"
                    : $"{indent}← tool {e.Call.Name} {e.Call.Status}: {Format.OneLine(e.Text)}";
                break;
            case "approval.requested" when e.Call is not null:
                yield return $"{indent}… {e.Call.Name} ({e.Call.CallId}) waits for approval";
                break;
            case "approval.decided" when e.Call is not null:
                yield return e.Status == "approved"
                    ? $"{indent}✓ {e.Call.Name} approved"
                    : $"{indent}✗ {e.Call.Name} denied{(e.Reason is null || e.Reason == e.Status ? string.Empty : ": " + e.Reason)}";
                break;
            case "delegation.started":
                yield return $"{indent}specialist {e.Agent} run {e.ChildRunId} started";
                break;
            case "agent.handoff":
                yield return $"{indent}handed over to {e.Agent}";
                break;
            case "run.resumed":
                yield return $"{indent}run {e.RunId} resumed";
                break;
            case "summary.updated":
                yield return e.Status == "failed"
                    ? $"{indent}summary not updated: {Format.OneLine(e.Reason)}"
                    : $"{indent}summary updated: {Format.OneLine(e.Text, 200)}";
                break;
            case "memory.recalled":
                yield return $"{indent}{Recalled(e)}";
                break;
            case RunEventReader.Finished when !e.IsRoot:
                var outcome = e.Reason is null ? e.Status : $"{e.Status}: {Format.OneLine(e.Reason)}";
                yield return $"{new string(' ', 2 * (e.Path!.Count - 2))}specialist {e.Path![^1]} run {e.RunId} {outcome}";
                break;
            default:
                break;
        }
    }

    /// <summary>What a <c>memory.recalled</c> event says in one line: the user's facts recalled for the run, or why none could be read.</summary>
    public static string Recalled(RunEventDto e)
    {
        if (e.Status == "failed")
        {
            return $"memory not read: {Format.OneLine(e.Reason)}";
        }

        var facts = Facts(e);
        return facts.Count switch
        {
            0 => "recalled no facts",
            1 => $"recalled 1 fact: {Format.OneLine(facts[0], 200)}",
            _ => $"recalled {facts.Count} facts: {Format.OneLine(string.Join(" | ", facts), 400)}",
        };
    }

    /// <summary>The facts of a <c>memory.recalled</c> event: its text, one fact a line.</summary>
    private static List<string> Facts(RunEventDto e) =>
        [.. (e.Text ?? string.Empty).ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>One line per event for <c>runs tail</c>: its sequence, its specialist path, its type and what it says.</summary>
    public static string Tail(RunEventDto e)
    {
        var who = e.IsRoot ? string.Empty : $"[{string.Join('/', e.Path!)}] ";
        var what = e.Type switch
        {
            "run.started" => Format.OneLine(e.Text),
            "model.reply" => (e.ToolCalls is { Count: > 0 } calls
                    ? string.Join(", ", calls.Select(static c => $"→ {c.Name} {Format.OneLine(c.Arguments, 120)}"))
                    : Format.OneLine(e.Text))
                + $" (step {e.Step}, {e.InputTokens ?? 0}+{e.OutputTokens ?? 0} tokens)",
            "tool.result" => $"{e.Call?.Name} {e.Call?.Status}: {Format.OneLine(e.Text)}",
            "approval.requested" => $"{e.Call?.Name} ({e.Call?.CallId}) waits for approval",
            "approval.decided" => $"{e.Call?.Name} ({e.Call?.CallId}) {e.Status}{(e.Reason is null || e.Reason == e.Status ? string.Empty : ": " + e.Reason)}",
            "delegation.started" => $"{e.Agent} run {e.ChildRunId}",
            "agent.handoff" => $"to {e.Agent}",
            "summary.updated" => $"{e.Status} ({Format.OneLine(e.Reason)}): {Format.OneLine(e.Text)}",
            "memory.recalled" => $"{e.Status} ({Format.OneLine(e.Reason)})" + (Facts(e) is { Count: > 0 } facts ? ": " + string.Join(" | ", facts.Select(static f => Format.OneLine(f))) : string.Empty),
            RunEventReader.Finished => e.Status + (e.Reason is null ? string.Empty : $" ({Format.OneLine(e.Reason)})") + (e.Text is null ? string.Empty : $": {Format.OneLine(e.Text)}"),
            _ => Format.OneLine(e.Text),
        };
        return $"{e.Sequence,3} {who}{e.Type} {what}".TrimEnd();
    }
}
