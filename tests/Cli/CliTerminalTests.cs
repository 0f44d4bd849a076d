using System.Text.RegularExpressions;
using AgentGrains.Cli;
using AgentGrains.Cli.Http;
using AgentGrains.Cli.Rendering;
using AgentGrains.Tests.Gateway;

namespace AgentGrains.Tests.Cli;

/// <summary>What the CLI shows on a terminal: the live run tree of <c>chat</c> (recorded in-process, as ANSI output), and the tree's parts as events arrive.</summary>
[Trait("Category", "Integration")]
[Collection(CliSilo.Collection)]
public sealed partial class CliTerminalTests(CliSilo silo)
{
    [Fact]
    public async Task Chat_OnATerminal_DrawsTheRunTreeLiveThenTheReply()
    {
        var (exitCode, screen, errors) = await RunOnTerminalAsync("What is (2+3)*4?\n/exit\n", "chat", "assistant");

        Assert.True(exitCode == 0, screen + errors);
        Assert.Contains("type a message, /exit to leave", screen, StringComparison.Ordinal);
        Assert.Matches(@"✓ assistant run \w+~1  completed  [\d,]+ tokens", screen);
        Assert.Contains("✓ calculator {\"expression\":\"(2+3)*4\"} → 20", screen, StringComparison.Ordinal);
        Assert.Contains("step 2", screen, StringComparison.Ordinal);
        Assert.Matches(@"┌─assistant─+┐\n│ The answer is 20\. +│\n└─+┘", screen);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Chat_OnATerminal_StopsTheLiveTreeToAskForApproval()
    {
        var (exitCode, screen, errors) = await RunOnTerminalAsync("Send a message to ada@example.com: from a terminal\ny\n/exit\n", "chat", "assistant");

        Assert.True(exitCode == 0, screen + errors);
        var question = screen.IndexOf("approve send_message to ada@example.com? [y/n]", StringComparison.Ordinal);
        Assert.True(question > 0, screen);
        Assert.Contains("? send_message {\"to\":\"ada@example.com\",\"text\":\"from a terminal\"}", screen[..question], StringComparison.Ordinal);
        Assert.Contains("✓ send_message {\"to\":\"ada@example.com\",\"text\":\"from a terminal\"} → sent to ada@example.com", screen[question..], StringComparison.Ordinal);
        Assert.Contains("│ Your message to ada@example.com was sent. │", screen[question..], StringComparison.Ordinal);
    }

    [Fact]
    public void LiveRunView_EventsArrive_SpinnersWhileCallsRunThenOutcomesAndSpecialistRunsUnderTheirCalls()
    {
        var view = new LiveRunView("m~1", "research");
        view.Apply(Event(1, "m~1", "run.started"));
        var thinking = Render(view);
        Assert.Contains("research run m~1  running", thinking, StringComparison.Ordinal);
        Assert.Contains("thinking (step 1)…", thinking, StringComparison.Ordinal);

        var call = new ToolCallDto(1, 0, "call_1", "searcher", "{\"query\":\"leases\"}", "pending", "agent", null);
        view.Apply(Event(2, "m~1", "model.reply") with { Step = 1, ToolCalls = [call], InputTokens = 10, OutputTokens = 2 });
        view.Apply(Event(3, "m~1", "delegation.started") with { Step = 1, Call = call, ChildRunId = "m~1.1.0~1", Agent = "searcher" });
        view.Apply(Event(1, "m~1.1.0~1", "run.started") with { Path = ["research", "searcher"] });
        var delegating = Render(view);
        Assert.DoesNotContain("thinking (step 2)", delegating, StringComparison.Ordinal);
        Assert.Matches(SpinnerThen("searcher \\{\"query\":\"leases\"\\}"), delegating);
        Assert.Matches(SpinnerThen("searcher run m~1\\.1\\.0~1  running"), delegating);
        // The specialist's run hangs under the call that started it.
        Assert.True(delegating.IndexOf("searcher run m~1.1.0~1", StringComparison.Ordinal) > delegating.IndexOf("searcher {\"query\"", StringComparison.Ordinal), delegating);

        view.Apply(Event(2, "m~1.1.0~1", "run.finished") with { Path = ["research", "searcher"], Status = "completed", Text = "found" });
        view.Apply(Event(4, "m~1", "tool.result") with { Step = 1, Call = call with { Status = "succeeded" }, Text = "found" });
        var done = Render(view);
        Assert.Contains("✓ searcher {\"query\":\"leases\"} → found", done, StringComparison.Ordinal);
        Assert.Contains("✓ searcher run m~1.1.0~1  completed", done, StringComparison.Ordinal);
        Assert.Contains("thinking (step 2)…", done, StringComparison.Ordinal);

        view.Apply(Event(5, "m~1", "run.finished") with { Status = "completed", Text = "the report" });
        Assert.Equal("the report", view.Reply);
        Assert.DoesNotContain("thinking", Render(view), StringComparison.Ordinal);
    }

    [Fact]
    public void MemoryRecalled_ShowsTheFactsOrWhyNoneWereRead_InChatLinesTailLinesAndTheLiveTree()
    {
        var one = Event(2, "m~1", "memory.recalled") with { Step = 1, Text = "My name is Ada.", Status = "completed", Reason = "1 of the user's facts match the message" };
        var two = one with { Text = "My name is Ada.\nMy favourite colour is green.", Reason = "2 of the user's facts match the message" };
        var none = one with { Text = string.Empty, Reason = "0 of the user's facts match the message" };
        var failed = one with { Text = string.Empty, Status = "failed", Reason = "the user's facts could not be read, so the run goes on without them: timeout" };

        Assert.Equal(["recalled 1 fact: My name is Ada."], EventLines.Chat(one));
        Assert.Equal(["recalled 2 facts: My name is Ada. | My favourite colour is green."], EventLines.Chat(two));
        Assert.Equal(["recalled no facts"], EventLines.Chat(none));
        Assert.Equal(["memory not read: the user's facts could not be read, so the run goes on without them: timeout"], EventLines.Chat(failed));
        Assert.Equal("  2 memory.recalled completed (2 of the user's facts match the message): My name is Ada. | My favourite colour is green.", EventLines.Tail(two));
        Assert.Equal("  2 memory.recalled completed (0 of the user's facts match the message)", EventLines.Tail(none));

        var view = new LiveRunView("m~1", "assistant");
        view.Apply(Event(1, "m~1", "run.started"));
        view.Apply(one);
        Assert.Contains("recalled 1 fact: My name is Ada.", Render(view), StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Screen, string Errors)> RunOnTerminalAsync(string input, params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var console = CliConsole.Create(new StringReader(input), output, errors, interactive: true, forceTerminal: true);
        var exitCode = await CliApp.RunAsync([.. args, "--gateway", silo.Address.ToString()], console, TestContext.Current.CancellationToken);
        return (exitCode, Ansi().Replace(output.ToString(), string.Empty).Replace("\r", string.Empty, StringComparison.Ordinal), errors.ToString());
    }

    private static RunEventDto Event(long sequence, string runId, string type) =>
        new(sequence, runId, type, DateTimeOffset.UnixEpoch, null, null, null, null, null, null, null, null, null, null, null);

    private static string Render(LiveRunView view)
    {
        using var text = new StringWriter();
        CliConsole.Create(TextReader.Null, text, TextWriter.Null, interactive: false).Write(view.Render(TimeSpan.FromMilliseconds(250)));
        return text.ToString();
    }

    /// <summary>A spinner frame (Spectre's dots), then <paramref name="pattern"/>.</summary>
    private static string SpinnerThen(string pattern) => $"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] {pattern}";

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Ansi();
}
