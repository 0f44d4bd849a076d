using AgentGrains.Runtime;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Runtime;

/// <summary>Runs on every storage provider: one nested subclass each.</summary>
public abstract class DurabilityTests(StorageUnderTest storage) : RuntimeTestBase(storage)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : DurabilityTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : DurabilityTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task IdempotencyKey_SentTwiceConcurrently_ProcessedOnceAndBothCallersGetTheSameResult()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);
        var grain = silo.Grains.GetGrain<ICounterGrain>("dedupe");
        await grain.AddAsync(1);

        Task<long> first, second;
        using (RequestContext.WithIdempotencyKey("add-10"))
        {
            first = grain.AddAsync(10);
            second = grain.AddAsync(10);
        }

        var results = await Task.WhenAll(first, second);

        Assert.Equal([11L, 11L], results);
        Assert.Equal(2, probe.Processed);
        Assert.Equal(11, await grain.GetAsync());
    }

    [Fact]
    public async Task IdempotencyKey_SentAgainAfterCompletionAndRestart_ReturnsStoredResultWithoutProcessing()
    {
        var probe = new Probe();
        await using (var silo = await StartSiloAsync(probe))
        {
            using var key = RequestContext.WithIdempotencyKey("once");
            Assert.Equal(5, await silo.Grains.GetGrain<ICounterGrain>("restart-dedupe").AddAsync(5));
        }

        var after = new Probe();
        await using (var silo = await StartSiloAsync(after))
        {
            var grain = silo.Grains.GetGrain<ICounterGrain>("restart-dedupe");
            using (RequestContext.WithIdempotencyKey("once"))
            {
                Assert.Equal(5, await grain.AddAsync(5));
            }

            Assert.Equal(0, after.Processed);
            Assert.Equal(5, await grain.GetAsync());
        }
    }

    [Fact]
    public async Task IdempotencyKey_ReusedWithOtherArguments_FailsAndProcessesNothing()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);
        var grain = silo.Grains.GetGrain<ICounterGrain>("reused");
        using var key = RequestContext.WithIdempotencyKey("k");
        await grain.AddAsync(1);

        var error = await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => grain.AddAsync(2));

        Assert.False(error.IsTransient);
        Assert.Equal(1, probe.Processed);
        Assert.Equal(1, await grain.GetAsync());
    }

    [Fact]
    public async Task IdempotencyKey_SameKeyOnDifferentGrains_EachProcessed()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);
        using var key = RequestContext.WithIdempotencyKey("shared");

        await silo.Grains.GetGrain<ICounterGrain>("a").AddAsync(1);
        await silo.Grains.GetGrain<ICounterGrain>("b").AddAsync(1);

        Assert.Equal(2, probe.Processed);
    }

    [Fact]
    public async Task FailedCall_RetriedWithSameKey_ReturnsTheSameErrorWithoutRunningAgain()
    {
        var probe = new Probe();
        await using var silo = await StartSiloAsync(probe);
        var grain = silo.Grains.GetGrain<ICounterGrain>("failed-dedupe");
        using var key = RequestContext.WithIdempotencyKey("bad");

        await Assert.ThrowsAsync<ArgumentException>(() => grain.AddThenFailAsync(3));
        var again = await Assert.ThrowsAsync<ArgumentException>(() => grain.AddThenFailAsync(3));

        Assert.Contains("refusing 3", again.Message, StringComparison.Ordinal);
        Assert.Equal(0, await grain.GetAsync());
    }

    [Fact]
    public async Task Silo_StoppedAndRestartedOverSameFile_ServesSameStateAndLog()
    {
        var probe = new Probe();
        await using (var silo = await StartSiloAsync(probe))
        {
            var grain = silo.Grains.GetGrain<ICounterGrain>("persisted");
            await grain.AddAsync(40);
            await grain.RecordAsync(7);
            await grain.RecordAsync(8);
        }

        await using (var silo = await StartSiloAsync(new Probe()))
        {
            var grain = silo.Grains.GetGrain<ICounterGrain>("persisted");
            Assert.Equal(40, await grain.GetAsync());
            Assert.Equal([7, 8], await grain.GetRecordedAsync());
            Assert.Equal(3, await grain.RecordAsync(9));
        }
    }

    [Fact]
    public async Task Crash_AfterInboxCommitBeforeProcessing_MessageProcessedExactlyOnceAfterRestart()
    {
        var probe = new Probe();
        var silo = await StartSiloAsync(probe);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The silo "dies" while the message is durable in the inbox but before its turn runs.
        silo.Silo.TurnHook = async (grain, token) =>
        {
            blocked.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        };
        var grain = silo.Grains.GetGrain<ICounterGrain>("crash");
        Task<long> call;
        using (RequestContext.WithIdempotencyKey("crash-add"))
        {
            call = grain.AddAsync(25);
        }

        await blocked.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await silo.KillAsync();
        await Assert.ThrowsAsync<SiloUnavailableException>(() => call);
        await silo.DisposeAsync();
        Assert.Equal(0, probe.Processed);

        var after = new Probe();
        await using var restarted = await StartSiloAsync(after);
        var again = restarted.Grains.GetGrain<ICounterGrain>("crash");

        // Recovery at start-up runs the pending message without anyone calling again.
        await Infrastructure.Eventually.TrueAsync(
            async () => await again.GetAsync() == 25,
            TimeSpan.FromSeconds(10),
            "the pending AddAsync(25) of counter/crash is processed after restart");
        using (RequestContext.WithIdempotencyKey("crash-add"))
        {
            Assert.Equal(25, await again.AddAsync(25));
        }

        Assert.Equal(1, after.Processed);
        Assert.Equal(25, await again.GetAsync());
        Assert.Equal(0, await CountPendingAsync());
    }

    [Fact]
    public async Task StoredState_UnreadableRow_FailsLoudlyInsteadOfDefaulting()
    {
        await using (var silo = await StartSiloAsync(new Probe()))
        {
            await silo.Grains.GetGrain<ICounterGrain>("corrupt").AddAsync(1);
        }

        Assert.Equal(1, await Storage.ExecuteAsync("UPDATE grain_state SET payload = '{\"total\": \"not a number\"}' WHERE grain_id = 'counter/corrupt'"));

        await using (var silo = await StartSiloAsync(new Probe()))
        {
            var error = await Assert.ThrowsAsync<StorageException>(() => silo.Grains.GetGrain<ICounterGrain>("corrupt").GetAsync());
            Assert.False(error.IsTransient);
            Assert.Contains("counter/corrupt", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal("{\"total\": \"not a number\"}", await Storage.ScalarAsync("SELECT payload FROM grain_state WHERE grain_id = 'counter/corrupt'"));
    }

    [Fact]
    public async Task StoredState_OlderShapeMissingAField_ReadsWithDefaults()
    {
        await using (var silo = await StartSiloAsync(new Probe()))
        {
            await silo.Grains.GetGrain<ICounterGrain>("old-shape").AddAsync(1);
        }

        Assert.Equal(1, await Storage.ExecuteAsync("UPDATE grain_state SET payload = '{\"total\": 9, \"retired\": true}' WHERE grain_id = 'counter/old-shape'"));

        await using (var silo = await StartSiloAsync(new Probe()))
        {
            var grain = silo.Grains.GetGrain<ICounterGrain>("old-shape");
            Assert.Equal(9, await grain.GetAsync());
            Assert.Equal(10, await grain.AddAsync(1));
        }
    }

    private async Task<long> CountPendingAsync() => (long)(await Storage.ScalarAsync("SELECT COUNT(*) FROM inbox WHERE status = 0"))!;
}
