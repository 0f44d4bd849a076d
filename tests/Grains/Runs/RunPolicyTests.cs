using AgentGrains.Grains.Agents;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>What happens to a message while a run is active (enqueue, reject, interrupt), cancellation and idempotent submission.</summary>
public abstract class RunPolicyTests(StorageUnderTest storage) : RunTestBase(storage)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : RunPolicyTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : RunPolicyTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task SubmitAsync_WhileARunIsActiveWithEnqueue_QueuesAndRunsItAfterwardsInOrder()
    {
        var gate = new ModelGate();
        var model = GatedEcho(gate);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Enqueue));
        var session = await CreateSessionAsync(cluster.Grains, "enqueue", "policy");
        var first = await session.SubmitAsync("first");
        await ModelGate.WithinAsync(gate.Entered, "the model is asked about the first message");

        var second = await session.SubmitAsync("second");
        var third = await session.SubmitAsync("third");

        Assert.Equal(RunStatus.Running, first.Status);
        Assert.Equal((RunStatus.Queued, RunStatus.Queued), (second.Status, third.Status));
        Assert.Equal(RunStatus.Queued, (await session.GetRunAsync(second.RunId))!.Status);
        Assert.Single(model.Requests);
        gate.Release();
        var views = new[]
        {
            await WaitForEndAsync(session, first.RunId),
            await WaitForEndAsync(session, second.RunId),
            await WaitForEndAsync(session, third.RunId),
        };
        Assert.All(views, v => Assert.Equal(RunStatus.Completed, v.Status));
        Assert.Equal(["re: first", "re: second", "re: third"], views.Select(v => v.Reply));
        Assert.True(views[1].StartedAt >= views[0].EndedAt, "the queued run started after the first ended");
        Assert.True(views[2].StartedAt >= views[1].EndedAt, "the last run started after the second ended");
        Assert.Equal(["first", "re: first", "second", "re: second", "third", "re: third"], (await session.GetHistoryAsync()).Select(e => e.Content));
        Assert.Equal(3, model.Requests.Count);
    }

    [Fact]
    public async Task SubmitAsync_WhileARunIsActiveWithReject_ThrowsSessionBusyAndStoresNothing()
    {
        var gate = new ModelGate();
        var model = GatedEcho(gate);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Reject));
        var session = await CreateSessionAsync(cluster.Grains, "reject", "policy");
        var first = await session.SubmitAsync("first");
        await ModelGate.WithinAsync(gate.Entered, "the model is asked about the first message");

        var error = await Assert.ThrowsAsync<SessionBusyException>(() => session.SubmitAsync("second"));

        Assert.Contains(first.RunId, error.Message, StringComparison.Ordinal);
        Assert.Equal(["first"], (await session.GetHistoryAsync()).Select(e => e.Content));
        Assert.Null(await session.GetRunAsync(RunIds.Format("reject", 2)));
        gate.Release();
        Assert.Equal(RunStatus.Completed, (await WaitForEndAsync(session, first.RunId)).Status);
        Assert.Equal(["first", "re: first"], (await session.GetHistoryAsync()).Select(e => e.Content));
        Assert.DoesNotContain(model.Requests, r => r.Any(m => m.Text == "second"));
        // The refused message took no run number: the next one is run 2.
        var next = await session.SendAsync("second again");
        Assert.Equal((RunIds.Format("reject", 2), "re: second again"), (next.RunId, next.Reply));
    }

    [Fact]
    public async Task SubmitAsync_RejectedWhileAModelCallIsInFlight_TheActiveRunIsNotDisturbed()
    {
        var gate = new ModelGate();
        var model = GatedEcho(gate);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Reject));
        var session = await CreateSessionAsync(cluster.Grains, "reject-in-flight", "policy");
        var first = await session.SubmitAsync("first");
        await ModelGate.WithinAsync(gate.Entered, "the model is asked about the first message");

        await Assert.ThrowsAsync<SessionBusyException>(() => session.SubmitAsync("second"));
        var during = await session.GetRunAsync(first.RunId);
        gate.Release();
        var done = await WaitForEndAsync(session, first.RunId);

        // A refused message must not cost the active run anything: its model call in flight is the
        // one whose answer is journaled, not abandoned and asked again.
        Assert.Equal(RunStatus.Running, during!.Status);
        Assert.Equal(RunStatus.Completed, done.Status);
        var events = (await session.GetRunEventsAsync(first.RunId, 0, TimeSpan.Zero)).Events;
        Assert.DoesNotContain(events, e => e.Type == RunEventTypes.Resumed);
        Assert.False(gate.Cancelled.IsCompleted, "the in-flight model call was cancelled");
        Assert.Single(model.Requests);
    }

    [Fact]
    public async Task SubmitAsync_WhileARunIsActiveWithInterrupt_CancelsTheActiveRunAndRunsTheNewOne()
    {
        var gate = new ModelGate();
        var model = GatedEcho(gate);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Interrupt));
        var session = await CreateSessionAsync(cluster.Grains, "interrupt", "policy");
        var first = await session.SubmitAsync("first");
        await ModelGate.WithinAsync(gate.Entered, "the model is asked about the first message");

        var second = await session.SubmitAsync("second");

        Assert.Equal(RunStatus.Running, second.Status);
        var interrupted = await session.GetRunAsync(first.RunId);
        Assert.Equal(RunStatus.Cancelled, interrupted!.Status);
        Assert.StartsWith("interrupted", interrupted.Reason, StringComparison.Ordinal);
        Assert.Contains(second.RunId, interrupted.Reason, StringComparison.Ordinal);
        await ModelGate.WithinAsync(gate.Cancelled, "the interrupted run's model call is cancelled");
        var done = await WaitForEndAsync(session, second.RunId);
        Assert.Equal((RunStatus.Completed, "re: second"), (done.Status, done.Reply));
        Assert.Null(interrupted.Reply);
        Assert.Equal(["first", "second", "re: second"], (await session.GetHistoryAsync()).Select(e => e.Content));
    }

    [Fact]
    public async Task CancelRunAsync_RunningRunWhoseModelHangs_CancelledAndTheQueuedRunCompletes()
    {
        var gate = new ModelGate();
        var model = GatedEcho(gate);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Enqueue));
        var session = await CreateSessionAsync(cluster.Grains, "cancel-running", "policy");
        var first = await session.SubmitAsync("first");
        await ModelGate.WithinAsync(gate.Entered, "the model is asked about the first message");
        var second = await session.SubmitAsync("second");

        var cancelled = await session.CancelRunAsync(first.RunId);

        Assert.Equal((RunStatus.Cancelled, "cancelled by request"), (cancelled.Status, cancelled.Reason));
        await ModelGate.WithinAsync(gate.Cancelled, "the cancelled run's hanging model call is cancelled");
        var next = await WaitForEndAsync(session, second.RunId);
        Assert.Equal((RunStatus.Completed, "re: second"), (next.Status, next.Reply));
        Assert.Equal(RunStatus.Cancelled, (await session.GetRunAsync(first.RunId))!.Status);
        Assert.Equal(["first", "second", "re: second"], (await session.GetHistoryAsync()).Select(e => e.Content));
        Assert.Equal(2, model.Requests.Count);
    }

    [Fact]
    public async Task CancelRunAsync_QueuedRun_EndsCancelledWithoutCallingTheModel()
    {
        var gate = new ModelGate();
        var model = GatedEcho(gate);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Enqueue));
        var session = await CreateSessionAsync(cluster.Grains, "cancel-queued", "policy");
        var first = await session.SubmitAsync("first");
        await ModelGate.WithinAsync(gate.Entered, "the model is asked about the first message");
        var second = await session.SubmitAsync("second");
        var third = await session.SubmitAsync("third");

        await session.CancelRunAsync(second.RunId);
        gate.Release();

        var views = new[]
        {
            await WaitForEndAsync(session, first.RunId),
            await WaitForEndAsync(session, second.RunId),
            await WaitForEndAsync(session, third.RunId),
        };
        Assert.Equal([RunStatus.Completed, RunStatus.Cancelled, RunStatus.Completed], views.Select(v => v.Status));
        Assert.Null(views[1].StartedAt);
        Assert.Empty(views[1].Steps);
        Assert.Equal(2, model.Requests.Count);
        Assert.DoesNotContain(model.Requests.SelectMany(r => r), m => m.Text == "second");
        Assert.Equal(["first", "re: first", "third", "re: third"], (await session.GetHistoryAsync()).Select(e => e.Content));
        var events = await session.GetRunEventsAsync(second.RunId, 0, TimeSpan.Zero);
        Assert.Equal((RunEventTypes.Finished, RunStatus.Cancelled), (Assert.Single(events.Events).Type, events.Events[0].Status));
    }

    [Fact]
    public async Task CancelRunAsync_CompletedRun_ThrowsRunConflictAndTheRunStaysCompleted()
    {
        var model = GatedEcho(gate: null);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Enqueue));
        var session = await CreateSessionAsync(cluster.Grains, "cancel-done", "policy");
        var done = await session.SendAsync("hello");

        var error = await Assert.ThrowsAsync<RunConflictException>(() => session.CancelRunAsync(done.RunId));

        Assert.Contains("completed", error.Message, StringComparison.Ordinal);
        var view = await session.GetRunAsync(done.RunId);
        Assert.Equal((RunStatus.Completed, "re: hello"), (view!.Status, view.Reply));
    }

    [Theory]
    [InlineData("unknown~2")]
    [InlineData("other-session~1")]
    [InlineData("not-a-run-id")]
    public async Task CancelRunAsync_UnknownRunId_ThrowsRunNotFound(string suffix)
    {
        var model = GatedEcho(gate: null);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Enqueue));
        var session = await CreateSessionAsync(cluster.Grains, "unknown", "policy");
        await session.SendAsync("hello");

        await Assert.ThrowsAsync<RunNotFoundException>(() => session.CancelRunAsync(suffix));

        Assert.Equal(RunStatus.Completed, (await session.GetRunAsync(RunIds.Format("unknown", 1)))!.Status);
    }

    [Fact]
    public async Task SubmitAsync_SameIdempotencyKeyTwice_SameRunAndOneUserMessage()
    {
        var model = GatedEcho(gate: null);
        await using var cluster = await StartAsync(Agent(model, WhenBusy.Enqueue));
        var session = await CreateSessionAsync(cluster.Grains, "idempotent", "policy");

        RunSubmission first;
        RunSubmission again;
        using (IdempotencyKey.Use("message-1"))
        {
            first = await session.SubmitAsync("hello");
            await WaitForEndAsync(session, first.RunId);
            again = await session.SubmitAsync("hello");
        }

        Assert.Equal(first.RunId, again.RunId);
        Assert.Equal(["hello", "re: hello"], (await session.GetHistoryAsync()).Select(e => e.Content));
        Assert.Single(model.Requests);
        Assert.Null(await session.GetRunAsync(RunIds.Format("idempotent", 2)));
    }

    private static FakeChatClient GatedEcho(ModelGate? gate) =>
        new(async (_, messages, cancellationToken) =>
        {
            // Only calls about the first message wait at the gate; later runs' calls answer at once.
            if (gate is not null && FakeChatClient.LastUserText(messages) == "first")
            {
                await gate.PassAsync(cancellationToken);
            }

            return new ChatMessage(ChatRole.Assistant, $"re: {FakeChatClient.LastUserText(messages)}");
        });

    private static Action<IServiceCollection> Agent(IChatClient model, WhenBusy whenBusy) => services =>
    {
        services.AddSingleton(new AgentDefinition("policy", "Answer.", []) { WhenBusy = whenBusy });
        services.AddSingleton(model);
    };
}
