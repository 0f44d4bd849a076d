using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Runtime.Cluster;

/// <summary>Two silos over one PostgreSQL schema reach each other through LISTEN/NOTIFY only.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Postgres")]
public sealed class PostgresSignalsTests() : RuntimeTestBase(StorageUnderTest.Postgres())
{
    [Fact]
    public async Task CallThroughAnotherSilo_WokenAndAnsweredByNotify_CompletesWithoutTheSafetyScan()
    {
        // The safety scan is an hour away: only a wake-up and a reply can complete these calls.
        var slowScan = new Dictionary<string, string?> { ["Silo:RecoveryInterval"] = "01:00:00", ["Silo:ResponseTimeout"] = "00:00:20" };
        var probe = new Probe();
        await using var owner = await StartSiloAsync(probe, new Dictionary<string, string?>(slowScan) { ["Silo:Address"] = "owner:1" });
        await using var other = await StartSiloAsync(probe, new Dictionary<string, string?>(slowScan) { ["Silo:Address"] = "other:1" });
        await owner.Grains.GetGrain<ICounterGrain>("notified").AddAsync(1);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => other.Grains.GetGrain<ICounterGrain>("notified").AddAsync(1)));

        Assert.Equal(Enumerable.Range(2, 20).Select(i => (long)i), results.Order());
        // The caller's own activation of the grain closes once its claim names the owner; under load
        // that close can trail the replies by a moment, so it is waited for rather than sampled.
        await Eventually.TrueAsync(() => Task.FromResult(other.Silo.ActivationCount == 0), TimeSpan.FromSeconds(10), "the calling silo hosts no activation of the grain the owner runs");
        Assert.True(probe.Processed == 21, $"{probe.Processed} turns ran for 21 calls");
    }
}
