using System.ComponentModel;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Runs;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>A run's event journal: numbered from 1 without gaps, framed by run.started and run.finished, and consistent with the run's view.</summary>
public abstract class RunEventsTests(StorageUnderTest storage) : RunTestBase(storage)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : RunEventsTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : RunEventsTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task GetRunEventsAsync_RunWithSeveralToolSteps_SequencesWithoutGapsMatchingTheView()
    {
        // Step 1: two side-effect-free calls (one fails); step 2: a side-effecting call; step 3: the answer.
        var model = new FakeChatClient((step, _) => step switch
        {
            0 or 3 => new ChatMessage(ChatRole.Assistant,
            [
                new FunctionCallContent("a", "calculator", new Dictionary<string, object?> { ["expression"] = "2+3" }),
                new FunctionCallContent("b", "calculator", new Dictionary<string, object?> { ["expression"] = "1/0" }),
            ]),
            1 or 4 => FakeChatClient.ToolCall("c", "note", """{"text":"remember"}"""),
            _ => new ChatMessage(ChatRole.Assistant, $"answer {step}"),
        });
        await using var cluster = await StartAsync(services =>
        {
            services.AddSingleton(AgentTool.Create(Note, "note", new AgentToolSettings { HasSideEffects = true }));
            services.AddSingleton(new AgentDefinition("journal", "Work.", ["calculator", "note"]));
            services.AddSingleton<IChatClient>(model);
        });
        var session = await CreateSessionAsync(cluster.Grains, "journal", "journal");

        var first = await session.SendAsync("do the work");
        var second = await session.SendAsync("again");

        foreach (var (result, answer) in new[] { (first, "answer 2"), (second, "answer 5") })
        {
            Assert.Equal((RunStatus.Completed, answer), (result.Status, result.Reply));
            var view = (await session.GetRunAsync(result.RunId))!;
            var page = await session.GetRunEventsAsync(result.RunId, 0, TimeSpan.Zero);
            Assert.True(page.Finished);
            var events = page.Events;
            AssertFramed(events, view);
            Assert.Equal(
                [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.ToolResult, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished],
                events.Select(e => e.Type));
            Assert.Equal(view.Input, events[0].Text);
            Assert.Equal(answer, events[^1].Text);

            // Each model.reply is a step of the view, with the same calls.
            var replies = events.Where(e => e.Type == RunEventTypes.ModelReply).ToList();
            Assert.Equal(view.Steps.Select(s => s.Step), replies.Select(e => e.Step!.Value));
            Assert.Equal(
                view.Steps.Select(s => string.Join(",", s.ToolCalls.Select(c => c.CallId))),
                replies.Select(e => string.Join(",", e.ToolCalls!.Select(c => c.CallId))));

            // Each tool.result is a call of the view, with its final status, and its text is the tool message in the history.
            var results = events.Where(e => e.Type == RunEventTypes.ToolResult).ToList();
            var calls = view.Steps.SelectMany(s => s.ToolCalls).ToList();
            Assert.Equal(calls.Select(c => (c.Step, c.CallId, c.Status)), results.Select(e => (e.Step!.Value, e.Call!.CallId, e.Status!)));
            Assert.Equal([ToolCallStatus.Succeeded, ToolCallStatus.Failed, ToolCallStatus.Succeeded], calls.Select(c => c.Status));
            var history = await session.GetHistoryAsync();
            var toolMessages = history.Skip((int)(result.Messages - 8)).Take(8).Where(e => e.Role == "tool").ToList();
            Assert.Equal(results.Select(e => (e.Call!.CallId, e.Text)), toolMessages.Select(m => (m.ToolCallId!, (string?)m.Content)));
            Assert.Equal(["5", "noted: remember"], results.Where(e => e.Status == ToolCallStatus.Succeeded).Select(e => e.Text));
        }

        // Reading on from a position returns the rest of the same journal.
        var all = (await session.GetRunEventsAsync(second.RunId, 0, TimeSpan.Zero)).Events;
        var rest = await session.GetRunEventsAsync(second.RunId, 3, TimeSpan.Zero);
        Assert.Equal(all.Skip(3).Select(e => (e.Sequence, e.Type, e.Text)), rest.Events.Select(e => (e.Sequence, e.Type, e.Text)));
        Assert.True(rest.Finished);
        var none = await session.GetRunEventsAsync(second.RunId, all.Count, TimeSpan.FromSeconds(10));
        Assert.Equal((0, true), (none.Events.Count, none.Finished));
    }

    [Fact]
    public async Task GetRunEventsAsync_FailedAndCancelledRuns_FramedByStartedAndFinishedWithTheReason()
    {
        var gate = new ModelGate();
        var model = new FakeChatClient(async (step, _, cancellationToken) =>
        {
            if (step == 0)
            {
                throw new InvalidOperationException("model down");
            }

            await gate.PassAsync(cancellationToken);
            return new ChatMessage(ChatRole.Assistant, "late");
        });
        await using var cluster = await StartAsync(services =>
        {
            services.AddSingleton(new AgentDefinition("journal", "Work.", []));
            services.AddSingleton<IChatClient>(model);
        });
        var session = await CreateSessionAsync(cluster.Grains, "endings", "journal");
        var failed = await session.SendAsync("fail");
        var hanging = await session.SubmitAsync("hang");
        await ModelGate.WithinAsync(gate.Entered, "the second run calls the model");
        await session.CancelRunAsync(hanging.RunId);

        var failedEvents = (await session.GetRunEventsAsync(failed.RunId, 0, TimeSpan.Zero)).Events;
        var cancelledEvents = (await session.GetRunEventsAsync(hanging.RunId, 0, TimeSpan.Zero)).Events;

        AssertFramed(failedEvents, (await session.GetRunAsync(failed.RunId))!);
        Assert.Equal((RunStatus.Failed, failed.Reason), (failedEvents[^1].Status, failedEvents[^1].Reason));
        Assert.Contains("model down", failedEvents[^1].Reason, StringComparison.Ordinal);
        AssertFramed(cancelledEvents, (await session.GetRunAsync(hanging.RunId))!);
        Assert.Equal((RunStatus.Cancelled, "cancelled by request"), (cancelledEvents[^1].Status, cancelledEvents[^1].Reason));
        Assert.Equal(2, cancelledEvents.Count);
    }

    [Fact]
    public async Task GetRunEventsAsync_WaitingPastTheLastEventOfAnActiveRun_ReturnsTheNextCommittedEvent()
    {
        var gate = new ModelGate();
        var model = new FakeChatClient(async (_, _, cancellationToken) =>
        {
            await gate.PassAsync(cancellationToken);
            return new ChatMessage(ChatRole.Assistant, "there");
        });
        await using var cluster = await StartAsync(services =>
        {
            services.AddSingleton(new AgentDefinition("journal", "Work.", []));
            services.AddSingleton<IChatClient>(model);
        });
        var session = await CreateSessionAsync(cluster.Grains, "follow", "journal");
        var run = await session.SubmitAsync("hello");
        await ModelGate.WithinAsync(gate.Entered, "the run calls the model");
        var before = await session.GetRunEventsAsync(run.RunId, 0, TimeSpan.Zero);

        var waiting = session.GetRunEventsAsync(run.RunId, 1, WaitLimit);
        gate.Release();
        var next = await waiting;

        Assert.Equal((1, false), (before.Events.Count, before.Finished));
        Assert.Equal(RunEventTypes.ModelReply, next.Events[0].Type);
        Assert.Equal(2, next.Events[0].Sequence);
        Assert.Equal("there", next.Events[0].Text);
    }

    /// <summary>Sequences 1..n without gaps, run.started first, run.finished last and only there, as many as the view says.</summary>
    private static void AssertFramed(IReadOnlyList<RunEvent> events, RunView view)
    {
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal(view.RunId, e.RunId));
        Assert.Equal(RunEventTypes.Started, events[0].Type);
        Assert.Equal(RunEventTypes.Finished, events[^1].Type);
        Assert.Single(events, e => e.Type == RunEventTypes.Finished);
        Assert.Equal(view.Events, events.Count);
        Assert.Equal((view.Status, view.Reason), (events[^1].Status, events[^1].Reason));
    }

    [Description("Writes a note somewhere outside the run.")]
    private static string Note([Description("The note.")] string text) => $"noted: {text}";
}
