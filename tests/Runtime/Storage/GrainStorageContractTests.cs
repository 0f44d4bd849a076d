using AgentGrains.Runtime;
using AgentGrains.Runtime.Cluster;
using AgentGrains.Runtime.Reminders;
using AgentGrains.Runtime.Storage;

namespace AgentGrains.Tests.Runtime.Storage;

/// <summary>What every storage provider must do; one subclass per provider.</summary>
public abstract class GrainStorageContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly GrainId grain = new("counter", "contract");

    private IGrainStorage? storage;

    private protected IGrainStorage Storage => storage!;

    private protected abstract Task<IGrainStorage> CreateStorageAsync();

    public async ValueTask InitializeAsync()
    {
        storage = await CreateStorageAsync();
        await storage.InitializeAsync(CancellationToken.None);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (storage is not null)
        {
            await storage.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Enqueue_SameKeyTwice_SecondIsDuplicateOfFirst()
    {
        var first = await Storage.EnqueueAsync(Message("k1"), CancellationToken.None);
        var second = await Storage.EnqueueAsync(Message("k1", arguments: "[2]"), CancellationToken.None);

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.Record.Id, second.Record.Id);
        Assert.Equal("[1]", second.Record.Arguments);
        Assert.Single(await Storage.ReadPendingAsync(grain, CancellationToken.None));
    }

    [Fact]
    public async Task Enqueue_ManyConcurrently_PendingInCallOrder()
    {
        var writes = Enumerable.Range(0, 100).Select(i => Storage.EnqueueAsync(Message($"k{i}", $"[{i}]"), CancellationToken.None)).ToArray();
        await Task.WhenAll(writes);

        var pending = await Storage.ReadPendingAsync(grain, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"[{i}]"), pending.Select(p => p.Arguments));
    }

    [Fact]
    public async Task Commit_WithCurrentEpoch_WritesStateLogAndCompletionTogether()
    {
        var epoch = await ClaimAsync("silo-a");
        var message = await Storage.EnqueueAsync(Message("k"), CancellationToken.None);

        var result = await Storage.CommitAsync(
            new TurnCommit(grain, epoch, new MessageCompletion(message.Record.Id, InboxStatus.Succeeded, "7", null),
                [new StateWrite("s", "{\"total\":7}", null)], [new LogAppend("log", 0, "\"a\""), new LogAppend("log", 1, "\"b\"")], Now),
            CancellationToken.None);

        Assert.Equal([1L], result.Versions);
        Assert.Equal(new StoredState(1, "{\"total\":7}"), await Storage.ReadStateAsync(grain, "s", CancellationToken.None));
        Assert.Equal(["\"a\"", "\"b\""], await Storage.ReadLogAsync(grain, "log", 0, 10, CancellationToken.None));
        Assert.Equal(2, await Storage.ReadLogCountAsync(grain, "log", CancellationToken.None));
        Assert.Empty(await Storage.ReadPendingAsync(grain, CancellationToken.None));
        var stored = await Storage.ReadMessageAsync(grain, "k", CancellationToken.None);
        Assert.Equal(InboxStatus.Succeeded, stored!.Status);
        Assert.Equal("7", stored.Result);
    }

    [Fact]
    public async Task Commit_WithStaleEpoch_IsRejectedAndWritesNothing()
    {
        var stale = await ClaimAsync("silo-a");
        var current = await ClaimAsync("silo-b");
        var message = await Storage.EnqueueAsync(Message("k"), CancellationToken.None);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.CommitAsync(
            new TurnCommit(grain, stale, new MessageCompletion(message.Record.Id, InboxStatus.Succeeded, "1", null),
                [new StateWrite("s", "{}", null)], [new LogAppend("log", 0, "1")], Now),
            CancellationToken.None));

        Assert.True(current > stale);
        Assert.Null(await Storage.ReadStateAsync(grain, "s", CancellationToken.None));
        Assert.Equal(0, await Storage.ReadLogCountAsync(grain, "log", CancellationToken.None));
        Assert.Single(await Storage.ReadPendingAsync(grain, CancellationToken.None));
    }

    [Fact]
    public async Task Commit_WithStaleVersion_IsRejectedAndWritesNothing()
    {
        var epoch = await ClaimAsync("silo-a");
        await Storage.CommitAsync(new TurnCommit(grain, epoch, null, [new StateWrite("s", "{\"v\":1}", null)], [], Now), CancellationToken.None);
        await Storage.CommitAsync(new TurnCommit(grain, epoch, null, [new StateWrite("s", "{\"v\":2}", 1)], [], Now), CancellationToken.None);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.CommitAsync(
            new TurnCommit(grain, epoch, null, [new StateWrite("s", "{\"v\":3}", 1)], [new LogAppend("log", 0, "1")], Now),
            CancellationToken.None));

        Assert.Equal(new StoredState(2, "{\"v\":2}"), await Storage.ReadStateAsync(grain, "s", CancellationToken.None));
        Assert.Equal(0, await Storage.ReadLogCountAsync(grain, "log", CancellationToken.None));
    }

    [Fact]
    public async Task Commit_CompletingAMessageTwice_SecondIsRejected()
    {
        var epoch = await ClaimAsync("silo-a");
        var message = await Storage.EnqueueAsync(Message("k"), CancellationToken.None);
        var completion = new MessageCompletion(message.Record.Id, InboxStatus.Succeeded, "1", null);
        await Storage.CommitAsync(new TurnCommit(grain, epoch, completion, [], [], Now), CancellationToken.None);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.CommitAsync(
            new TurnCommit(grain, epoch, completion with { Result = "2" }, [], [new LogAppend("log", 0, "1")], Now), CancellationToken.None));

        Assert.Equal("1", (await Storage.ReadMessageAsync(grain, "k", CancellationToken.None))!.Result);
        Assert.Equal(0, await Storage.ReadLogCountAsync(grain, "log", CancellationToken.None));
    }

    [Fact]
    public async Task Commit_ConcurrentWithOneConflict_OthersStillCommit()
    {
        var epoch = await ClaimAsync("silo-a");
        var commits = Enumerable.Range(0, 20)
            .Select(i => Storage.CommitAsync(new TurnCommit(grain, epoch, null, [new StateWrite($"s{i % 10}", $"{{\"i\":{i}}}", null)], [], Now), CancellationToken.None))
            .ToArray();

        var outcomes = await Task.WhenAll(commits.Select(async c =>
        {
            try
            {
                await c;
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        // Ten states, each inserted twice "as new": exactly one insert of each wins.
        Assert.Equal(10, outcomes.Count(o => o));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal($"{{\"i\":{i}}}", (await Storage.ReadStateAsync(grain, $"s{i}", CancellationToken.None))!.Payload);
        }
    }

    [Fact]
    public async Task Release_WithOldEpoch_LeavesNewerOwnerInPlace()
    {
        var old = await ClaimAsync("silo-a");
        var current = await ClaimAsync("silo-b");

        await Storage.ReleaseAsync(grain, old, CancellationToken.None);

        await Storage.CommitAsync(new TurnCommit(grain, current, null, [new StateWrite("s", "{}", null)], [], Now), CancellationToken.None);
        Assert.NotNull(await Storage.ReadStateAsync(grain, "s", CancellationToken.None));
    }

    [Fact]
    public async Task ReadGrainsWithPending_ListsOnlyGrainsWithUncompletedMessages()
    {
        var other = new GrainId("counter", "other");
        var epoch = await ClaimAsync("silo-a");
        var done = await Storage.EnqueueAsync(Message("k"), CancellationToken.None);
        await Storage.CommitAsync(new TurnCommit(grain, epoch, new MessageCompletion(done.Record.Id, InboxStatus.Failed, null, "{}"), [], [], Now), CancellationToken.None);
        await Storage.EnqueueAsync(Message("k") with { Grain = other }, CancellationToken.None);

        Assert.Equal([other], await Storage.ReadGrainsWithPendingAsync(100, CancellationToken.None));
    }

    [Fact]
    public async Task FireDueReminders_PeriodicAndOneShot_TickOnceIntoTheInboxAndAdvanceOrDelete()
    {
        var epoch = await ClaimAsync("silo-a");
        var due = Now.AddMinutes(-1);
        await Storage.CommitAsync(
            new TurnCommit(grain, epoch, null, [], [], Now, [new ReminderWrite("periodic", due, TimeSpan.FromSeconds(1)), new ReminderWrite("once", due, TimeSpan.Zero), new ReminderWrite("later", Now.AddHours(1), TimeSpan.FromSeconds(1))]),
            CancellationToken.None);
        var reminders = (IReminderStorage)Storage;

        var fired = await reminders.FireDueRemindersAsync(Now, 100, CancellationToken.None);
        var again = await reminders.FireDueRemindersAsync(Now, 100, CancellationToken.None);

        Assert.Equal(["once", "periodic"], fired.Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Empty(again);
        var pending = await Storage.ReadPendingAsync(grain, CancellationToken.None);
        Assert.Equal(
            [$"reminder:once:{due.UtcTicks}", $"reminder:periodic:{due.UtcTicks}"],
            pending.Select(p => p.IdempotencyKey).Order(StringComparer.Ordinal));
        Assert.All(pending, p => Assert.Equal("$reminder", p.Method));
        Assert.Null(await reminders.ReadReminderAsync(grain, "once", CancellationToken.None));
        // Sixty missed periods collapse into one tick; the next is the first due time after now.
        var periodic = await reminders.ReadReminderAsync(grain, "periodic", CancellationToken.None);
        Assert.Equal(Now.AddSeconds(1), periodic!.DueAt);
        Assert.Equal(due, periodic.FirstDueAt);
    }

    [Fact]
    public async Task Commit_ReminderRemovalWithStaleEpoch_IsRejectedAndTheReminderStays()
    {
        var stale = await ClaimAsync("silo-a");
        await Storage.CommitAsync(new TurnCommit(grain, stale, null, [], [], Now, [new ReminderWrite("r", Now, TimeSpan.FromSeconds(1))]), CancellationToken.None);
        var current = await ClaimAsync("silo-b");

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.CommitAsync(
            new TurnCommit(grain, stale, null, [], [], Now, [new ReminderWrite("r", null, TimeSpan.Zero)]), CancellationToken.None));

        Assert.True(current > stale);
        Assert.NotNull(await ((IReminderStorage)Storage).ReadReminderAsync(grain, "r", CancellationToken.None));
    }

    /// <summary>Claims the grain; no silo is registered here, so no owner counts as alive and every claim wins.</summary>
    private async Task<long> ClaimAsync(string siloId) =>
        (await ((IOwnershipStorage)Storage).TryClaimAsync(grain, siloId, TimeSpan.FromSeconds(10), CancellationToken.None)).Epoch!.Value;

    private InboxMessage Message(string key, string arguments = "[1]") =>
        new(grain, key, "Test::Method", arguments, null, Now);
}
