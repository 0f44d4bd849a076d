using AgentGrains.Cli.Http;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AgentGrains.Cli.Rendering;

/// <summary>A run's tree as its events arrive: what <c>chat</c> shows live on a terminal.</summary>
/// <remarks>Each run of the tree (the followed run, its specialists' runs, theirs) is a node with its steps and calls; running parts show a spinner.</remarks>
internal sealed class LiveRunView
{
    private static readonly Spinner Spinner = Spinner.Known.Dots;
    private readonly Dictionary<string, RunNode> runs = new(StringComparer.Ordinal);
    private readonly RunNode root;

    public LiveRunView(string runId, string agent)
    {
        root = new RunNode(runId, agent);
        runs[runId] = root;
    }

    /// <summary>The followed run's reply, once it completed.</summary>
    public string? Reply => root.Reply;

    /// <summary>The followed run's status.</summary>
    public string Status => root.Status;

    /// <summary>Why the followed run ended otherwise.</summary>
    public string? Reason => root.Reason;

    public void Apply(RunEventDto e)
    {
        if (!runs.TryGetValue(e.RunId, out var run))
        {
            // A specialist run seen before its manager's delegation event (a reconnect): hang it under the root.
            run = new RunNode(e.RunId, e.Path is { Count: > 0 } path ? path[^1] : "?");
            runs[e.RunId] = run;
            root.Orphans.Add(run);
        }

        switch (e.Type)
        {
            case "run.started":
            case "run.resumed":
                run.Status = "running";
                break;
            case "model.reply":
                var step = new StepNode(e.Step ?? run.Steps.Count + 1, e.InputTokens ?? 0, e.OutputTokens ?? 0, e.Text);
                step.Calls.AddRange((e.ToolCalls ?? []).Select(static c => new CallNode(c)));
                run.Steps.Add(step);
                break;
            case "tool.result" when Find(run, e.Call) is { } call:
                call.Status = e.Call!.Status;
                call.Result = e.Text;
                break;
            case "approval.requested" when Find(run, e.Call) is { } call:
                call.Status = "awaiting_approval";
                run.Status = "awaiting_approval";
                break;
            case "approval.decided" when Find(run, e.Call) is { } call:
                call.Status = e.Status ?? call.Status;
                run.Status = "running";
                break;
            case "delegation.started" when e.ChildRunId is not null:
                var child = runs.TryGetValue(e.ChildRunId, out var known) ? known : new RunNode(e.ChildRunId, e.Agent ?? "?");
                runs[e.ChildRunId] = child;
                if (Find(run, e.Call) is { } delegating)
                {
                    delegating.Child = child;
                }
                else
                {
                    run.Orphans.Add(child);
                }

                break;
            case "agent.handoff":
                run.Agent = e.Agent ?? run.Agent;
                break;
            case "memory.recalled":
                run.Memory = EventLines.Recalled(e);
                break;
            case RunEventReader.Finished:
                run.Status = e.Status ?? "completed";
                run.Reason = e.Reason;
                run.Reply = e.Text;
                break;
            default:
                break;
        }
    }

    /// <summary>The tree as of now; <paramref name="elapsed"/> turns the spinners.</summary>
    public IRenderable Render(TimeSpan elapsed)
    {
        var frame = Spinner.Frames[(int)(elapsed.TotalMilliseconds / Spinner.Interval.TotalMilliseconds) % Spinner.Frames.Count];
        var tree = new Tree(Header(root, frame)) { Guide = TreeGuide.Line };
        AddBody(tree, root, frame);
        return tree;
    }

    private static CallNode? Find(RunNode run, ToolCallDto? call) =>
        call is null ? null : run.Steps.Where(s => s.Number == call.Step).SelectMany(static s => s.Calls).FirstOrDefault(c => c.Call.CallIndex == call.CallIndex);

    private static Markup Header(RunNode run, string frame)
    {
        var mark = run.Status switch
        {
            "running" or "queued" => $"[blue]{Markup.Escape(frame)}[/]",
            "awaiting_approval" => "[yellow]?[/]",
            "completed" => "[green]✓[/]",
            _ => "[red]✗[/]",
        };
        var tokens = run.Steps.Sum(static s => s.InputTokens + s.OutputTokens);
        return new Markup($"{mark} [bold]{Markup.Escape(run.Agent)}[/] run {Markup.Escape(run.RunId)}  {RunTreeView.Status(run.Status)}  [grey]{Format.Tokens(tokens)} tokens[/]"
            + (run.Reason is null ? string.Empty : $"  [grey]{Markup.Escape(Format.OneLine(run.Reason, 120))}[/]"));
    }

    private static void AddBody(IHasTreeNodes parent, RunNode run, string frame)
    {
        if (run.Memory is not null)
        {
            parent.AddNode(new Markup($"[grey]{Markup.Escape(run.Memory)}[/]"));
        }

        foreach (var step in run.Steps)
        {
            var node = parent.AddNode(new Markup($"step {step.Number}  [grey]{Format.Tokens(step.InputTokens)} in / {Format.Tokens(step.OutputTokens)} out[/]"
                + (step.Calls.Count == 0 && step.Text is not null ? $"  {Markup.Escape(Format.OneLine(step.Text, 100))}" : string.Empty)));
            foreach (var call in step.Calls)
            {
                var mark = call.Status switch
                {
                    "succeeded" => "[green]✓[/]",
                    "failed" or "denied" => "[red]✗[/]",
                    "awaiting_approval" => "[yellow]?[/]",
                    _ => $"[blue]{Markup.Escape(frame)}[/]",
                };
                var text = $"{mark} {Markup.Escape(call.Call.Name)} [grey]{Markup.Escape(Format.OneLine(call.Call.Arguments, 80))}[/]"
                    + (call.Result is null ? string.Empty : $" → {Markup.Escape(Format.OneLine(call.Result, 80))}");
                var callNode = node.AddNode(new Markup(text));
                if (call.Child is { } child)
                {
                    var childNode = callNode.AddNode(Header(child, frame));
                    AddBody(childNode, child, frame);
                }
            }
        }

        foreach (var orphan in run.Orphans)
        {
            var node = parent.AddNode(Header(orphan, frame));
            AddBody(node, orphan, frame);
        }

        // A running run whose calls are all done is waiting for its model.
        if (run.Status == "running" && run.Steps.All(static s => s.Calls.All(static c => c.Status is "succeeded" or "failed" or "denied")))
        {
            parent.AddNode(new Markup($"[blue]{Markup.Escape(frame)}[/] [grey]thinking (step {run.Steps.Count + 1})…[/]"));
        }
    }

    private sealed class RunNode(string runId, string agent)
    {
        public string RunId { get; } = runId;

        public string Agent { get; set; } = agent;

        public string Status { get; set; } = "running";

        public string? Reason { get; set; }

        public string? Reply { get; set; }

        /// <summary>What the user's memory gave the run (its <c>memory.recalled</c> event), once recalled.</summary>
        public string? Memory { get; set; }

        public List<StepNode> Steps { get; } = [];

        public List<RunNode> Orphans { get; } = [];
    }

    private sealed class StepNode(int number, long inputTokens, long outputTokens, string? text)
    {
        public int Number { get; } = number;

        public long InputTokens { get; } = inputTokens;

        public long OutputTokens { get; } = outputTokens;

        public string? Text { get; } = text;

        public List<CallNode> Calls { get; } = [];
    }

    private sealed class CallNode(ToolCallDto call)
    {
        public ToolCallDto Call { get; } = call;

        public string Status { get; set; } = call.Status;

        public string? Result { get; set; }

        public RunNode? Child { get; set; }
    }
}
