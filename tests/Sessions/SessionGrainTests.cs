using AgentGrains.Grains.Models;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Storage.Journal;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.Sessions;

/// <summary>The agent session grain on a real Orleans cluster over the session journal: its guarantees, on every storage provider.</summary>
public abstract class SessionGrainTests(StorageUnderTest storage) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Trait("Category", "Cluster")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : SessionGrainTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Cluster")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : SessionGrainTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task SendAsync_ArithmeticQuestion_AnswersThroughTheCalculatorAndKeepsTheConversation()
    {
        await using var cluster = await SessionCluster.StartAsync(storage);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("math");
        await session.CreateAsync("assistant");

        var result = await session.SendAsync("what is 6*7?");

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Contains("42", result.Reply, StringComparison.Ordinal);
        Assert.Equal(["user", "assistant", "tool", "assistant"], (await session.GetHistoryAsync()).Select(static e => e.Role));
        var events = await session.GetRunEventsAsync(result.RunId, 0, TimeSpan.Zero);
        Assert.True(events.Finished);
        Assert.Equal(
            [RunEventTypes.Started, RunEventTypes.ModelReply, RunEventTypes.ToolResult, RunEventTypes.ModelReply, RunEventTypes.Finished],
            events.Events.Select(static e => e.Type));
    }

    [Fact]
    public async Task SubmitAsync_SameIdempotencyKeyTwice_OneRunAndOneUserMessage()
    {
        await using var cluster = await SessionCluster.StartAsync(storage);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("retried");
        await session.CreateAsync("assistant");

        RunSubmission first;
        RunSubmission again;
        using (IdempotencyKey.Use("client-1"))
        {
            first = await session.SubmitAsync("hello there");
            again = await session.SubmitAsync("hello there");
        }

        Assert.Equal(first.RunId, again.RunId);
        var run = await session.WaitForRunAsync(first.RunId, Bound);
        Assert.Equal(RunStatus.Completed, run!.Status);
        Assert.Single(await session.GetHistoryAsync(), static e => e.Role == "user");
        Assert.Null(await session.GetRunAsync(RunIds.Format("retried", 2)));
    }

    [Fact]
    public async Task SubmitAndWaitAsync_RetriedWithTheSameKeyAfterItAnswered_TheSameFinishedRunAndOneUserMessage()
    {
        await using var cluster = await SessionCluster.StartAsync(storage);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("sent-twice");
        await session.CreateAsync("assistant");

        SendResult first;
        SendResult again;
        RunSubmission submitted;
        using (IdempotencyKey.Use("client-3"))
        {
            first = await session.SubmitAndWaitAsync("what is 6*7?", Bound);
            again = await session.SubmitAndWaitAsync("what is 6*7?", Bound);
            // The same key through SubmitAsync is the same message too.
            submitted = await session.SubmitAsync("what is 6*7?");
        }

        Assert.Equal(RunStatus.Completed, first.Status);
        Assert.Contains("42", first.Reply, StringComparison.Ordinal);
        Assert.Equal(first, again);
        Assert.Equal(first.RunId, submitted.RunId);
        Assert.Single(await session.GetHistoryAsync(), static e => e.Role == "user");
        Assert.Null(await session.GetRunAsync(RunIds.Format("sent-twice", 2)));
    }

    [Fact]
    public async Task SubmitAndWaitAsync_SessionNeverCreated_RefusedAndNothingIsStored()
    {
        await using var cluster = await SessionCluster.StartAsync(storage);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("never-created");

        using (IdempotencyKey.Use("client-4"))
        {
            await Assert.ThrowsAsync<SessionNotFoundException>(() => session.SubmitAndWaitAsync("hello", Bound));
        }

        Assert.Null(await session.GetInfoAsync());
        Assert.Empty(await session.GetHistoryAsync());
        // The refused key was not recorded: the same key after creating the session is a new message.
        await session.CreateAsync("assistant");
        using (IdempotencyKey.Use("client-4"))
        {
            Assert.Equal(RunStatus.Completed, (await session.SubmitAndWaitAsync("hello", Bound)).Status);
        }
    }

    [Fact]
    public async Task SubmitAsync_KeyReusedForAnotherText_RefusedAndNothingChanges()
    {
        await using var cluster = await SessionCluster.StartAsync(storage);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("reused");
        await session.CreateAsync("assistant");
        using var key = IdempotencyKey.Use("client-2");
        var first = await session.SubmitAsync("hello there");
        await session.WaitForRunAsync(first.RunId, Bound);

        var refused = await Assert.ThrowsAsync<MessageKeyReusedException>(() => session.SubmitAsync("something else"));

        Assert.Contains("client-2", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["hello there"], (await session.GetHistoryAsync()).Where(static e => e.Role == "user").Select(static e => e.Content));
    }

    [Fact]
    public async Task SubmitAsync_AnotherActivationCommittedFirst_StaleOneIsRefusedAndTheRetryIsAnsweredOnce()
    {
        await using var cluster = await SessionCluster.StartAsync(storage);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("fenced");
        await session.CreateAsync("assistant");
        var journal = cluster.SiloService<ISessionJournal>();
        var grainId = session.GetGrainId().ToString();
        // Another activation of the session (as Orleans' directory may briefly allow) commits a step.
        var head = await journal.LoadAsync(grainId, ["history"], CancellationToken.None);
        await journal.CommitAsync(new JournalCommit(grainId, head.Version, head.State!, [], [], DateTimeOffset.UtcNow), CancellationToken.None);

        using var key = IdempotencyKey.Use("after-fence");
        await Assert.ThrowsAsync<SessionUnavailableException>(() => session.SubmitAsync("hello there"));
        var after = await journal.LoadAsync(grainId, ["history"], CancellationToken.None);
        Assert.Equal(head.Version + 1, after.Version);
        Assert.Equal(0, after.StreamLengths["history"]);

        var submission = await ClusterRuns.RetryTransientAsync(() => session.SubmitAsync("hello there"), "the retried message");
        var again = await ClusterRuns.RetryTransientAsync(() => session.SubmitAsync("hello there"), "the retried message");

        Assert.Equal(submission.RunId, again.RunId);
        Assert.Equal(RunStatus.Completed, (await session.WaitForRunAsync(submission.RunId, Bound))!.Status);
        Assert.Single(await session.GetHistoryAsync(), static e => e.Role == "user");
    }

    [Fact]
    public async Task Run_SiloOfTheSessionKilledDuringItsModelCall_ResumesOnTheOtherSiloFromItsJournal()
    {
        var model = new GatedModel(new ScriptedChatClient());
        await using var cluster = await SessionCluster.StartAsync(storage, silos: 2, services: s => s.AddSingleton<IChatClient>(model));
        var secondary = cluster.Cluster.Silos[1];
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("placed");
        await cluster.ActivateOnAsync(secondary, session, () => session.CreateAsync("assistant"));
        var submission = await session.SubmitAsync("what is 6*7?");
        await ModelGate.WithinAsync(model.FirstCall, "the run's first model call reached the model on the session's silo");

        await cluster.Cluster.KillSiloAsync(secondary, TestContext.Current.CancellationToken);
        model.Open();

        var run = await ClusterRuns.RetryTransientAsync(() => session.WaitForRunAsync(submission.RunId, Bound), "the run after the kill");
        Assert.Equal(RunStatus.Completed, run!.Status);
        Assert.Contains("42", run.Reply, StringComparison.Ordinal);
        Assert.Equal(cluster.Cluster.Silos[0].SiloAddress, cluster.SiloOf(session)?.SiloAddress);
        Assert.Equal(["user", "assistant", "tool", "assistant"], (await session.GetHistoryAsync()).Select(static e => e.Role));
        var events = (await session.GetRunEventsAsync(submission.RunId, 0, TimeSpan.Zero)).Events;
        Assert.Contains(events, static e => e.Type == RunEventTypes.Resumed);
        Assert.Single(events, static e => e.Type == RunEventTypes.Started);
    }

    [Fact]
    public async Task SubmitAsync_QueuedRunStartsAsThePreviousEnds_ItsWatchdogStaysRegisteredUntilItEnds()
    {
        var firstModel = new GatedModel(new ScriptedChatClient(), holdWhen: "first");
        var secondModel = new GatedModel(firstModel, holdWhen: "second");
        await using var cluster = await SessionCluster.StartAsync(storage, services: s => s.AddSingleton<IChatClient>(secondModel));
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("queued");
        await session.CreateAsync("assistant");
        var first = await session.SubmitAsync("hello first");
        await ModelGate.WithinAsync(firstModel.FirstCall, "the first run called its model");
        var second = await session.SubmitAsync("hello second");
        Assert.Equal(RunStatus.Queued, second.Status);

        firstModel.Open();
        await ModelGate.WithinAsync(secondModel.FirstCall, "the queued run, started as the first ended, called its model");

        // The change that ended the first run and started the second unregistered and registered the
        // watchdog: the run in flight must keep one, or nothing resumes it after a crash.
        Assert.Equal(RunStatus.Completed, (await session.GetRunAsync(first.RunId))!.Status);
        Assert.Equal(1L, await WatchdogsAsync("queued"));
        secondModel.Open();
        Assert.Equal(RunStatus.Completed, (await session.WaitForRunAsync(second.RunId, Bound))!.Status);
        await Eventually.TrueAsync(async () => await WatchdogsAsync("queued") == 0, Bound, "the ended run's watchdog was unregistered");
    }

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private async Task<long> WatchdogsAsync(string sessionId) =>
        Convert.ToInt64(
            await storage.ScalarAsync($"SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'run-watchdog' AND grain_id LIKE '%/{sessionId}'"),
            System.Globalization.CultureInfo.InvariantCulture);

    private sealed class GatedModel(IChatClient inner, string? holdWhen = null) : DelegatingChatClient(inner)
    {
        private readonly TaskCompletionSource first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstCall => first.Task;

        public void Open() => open.TrySetResult();

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            messages = [.. messages];
            if (holdWhen is not null && !messages.Last(static m => m.Role == ChatRole.User).Text.Contains(holdWhen, StringComparison.Ordinal))
            {
                return await base.GetResponseAsync(messages, options, cancellationToken);
            }

            first.TrySetResult();
            await open.Task.WaitAsync(cancellationToken);
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
    }
}
