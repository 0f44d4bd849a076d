using AgentGrains.Cli.Http;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AgentGrains.Cli.Rendering;

/// <summary>A run as a tree: its steps, their tool calls, and under each specialist call the specialist's run and its own specialists.</summary>
internal static class RunTreeView
{
    public static IRenderable Render(RunDto run, DateTimeOffset now)
    {
        // A run that has not ended has no duration yet: show how long it has been going.
        var duration = run.DurationMs is { } ms ? Format.Duration(ms)
            : run.StartedAt is { } started ? $"{Format.Duration((now - started).TotalMilliseconds)} so far"
            : "not started";
        var tokens = run.InputTokens + run.OutputTokens;
        var header = $"[bold]run {Markup.Escape(run.RunId)}[/]  {Markup.Escape(run.Agent)}  {Status(run.Status)}"
            + $"  {Format.Tokens(tokens)} tokens ({Format.Tokens(run.InputTokens)} in, {Format.Tokens(run.OutputTokens)} out)"
            + (run.DelegatedTokens > 0 ? $" + {Format.Tokens(run.DelegatedTokens)} by specialists" : string.Empty)
            + $"  {Markup.Escape(Format.Cost(Total(run.Cost, run.DelegatedCost)))}  {Markup.Escape(duration)}";
        var tree = new Tree(new Markup(header)) { Guide = TreeGuide.Line };
        if (run.Reason is not null)
        {
            tree.AddNode(new Markup($"[grey]reason:[/] {Markup.Escape(Format.OneLine(run.Reason, 300))}"));
        }

        if (!string.IsNullOrEmpty(run.Input))
        {
            tree.AddNode(new Markup($"[grey]input:[/] {Markup.Escape(Format.OneLine(run.Input, 200))}"));
        }

        var children = run.Children ?? [];
        foreach (var step in run.Steps ?? [])
        {
            var node = tree.AddNode(new Markup(
                $"step {step.Step}  model {Markup.Escape(Format.Duration(step.ModelDurationMs))}  {Format.Tokens(step.InputTokens)} in / {Format.Tokens(step.OutputTokens)} out"));
            foreach (var call in step.ToolCalls ?? [])
            {
                var callNode = node.AddNode(new Markup(
                    $"{Markup.Escape(call.Name)} [grey]{Markup.Escape(Format.OneLine(call.Arguments, 100))}[/]  {Status(call.Status)}"
                    + $"  {Markup.Escape(call.CallId)}{(call.Risk is null ? string.Empty : $"  risk {Markup.Escape(call.Risk)}")}  {Markup.Escape(Format.Duration(call.DurationMs))}"));
                foreach (var child in children.Where(c => c.Step == call.Step && c.CallIndex == call.CallIndex))
                {
                    AddChild(callNode, child);
                }
            }
        }

        // Specialist runs whose call is not among the steps shown (should not happen; never hide one).
        foreach (var child in children.Where(c => !(run.Steps ?? []).Any(s => (s.ToolCalls ?? []).Any(t => t.Step == c.Step && t.CallIndex == c.CallIndex))))
        {
            AddChild(tree, child);
        }

        if (run.Reply is not null)
        {
            tree.AddNode(new Markup($"[grey]reply:[/] {Markup.Escape(Format.OneLine(run.Reply, 300))}"));
        }

        return tree;
    }

    /// <summary>A run status, coloured.</summary>
    public static string Status(string status) => status switch
    {
        "completed" or "succeeded" or "approved" => $"[green]{status}[/]",
        "failed" or "denied" or "cancelled" or "budget_exceeded" => $"[red]{status}[/]",
        "awaiting_approval" => $"[yellow]{status}[/]",
        _ => $"[blue]{Markup.Escape(status)}[/]",
    };

    private static decimal? Total(decimal? own, decimal? delegated) => own is null && delegated is null ? null : (own ?? 0) + (delegated ?? 0);

    private static void AddChild(IHasTreeNodes parent, ChildDto child)
    {
        var node = parent.AddNode(new Markup(
            $"specialist [bold]{Markup.Escape(child.Agent)}[/] run {Markup.Escape(child.RunId)}  {Status(child.Status)}"
            + (child.Tokens is { } tokens ? $"  {Format.Tokens(tokens)} tokens" : string.Empty)
            + (child.Silo is null ? string.Empty : $"  [grey]on {Markup.Escape(child.Silo)}[/]")));
        foreach (var grandchild in child.Children ?? [])
        {
            AddChild(node, grandchild);
        }
    }
}
