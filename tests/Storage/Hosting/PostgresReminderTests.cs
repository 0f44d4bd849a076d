using System.Collections.Concurrent;
using AgentGrains.Tests.Infrastructure;
using Orleans;
using Orleans.Reminders.Diagnostics;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Storage.Hosting;

/// <summary>Reminders on Orleans' ADO.NET reminder table over the project's schema.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Postgres")]
public sealed class PostgresReminderTests(PostgresSchemaFixture schema) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RegisterReminder_ShortPeriod_StoredAndTicksRepeatedly()
    {
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 1);
        await cluster.DeployAsync(Ct);
        var key = Guid.NewGuid().ToString("N");
        var grain = cluster.Client.GetGrain<IReminderProbeGrain>(key);

        await grain.StartAsync(Period);

        Assert.Equal(1L, await schema.Storage.ScalarAsync(
            $"SELECT count(*) FROM orleans_reminders WHERE service_id = '{cluster.Options.ServiceId}' " +
            $"AND grain_id = '{grain.GetGrainId()}' AND reminder_name = '{ReminderProbeGrain.ReminderName}' AND period_ms = 1000"));
        await Eventually.TrueAsync(
            () => Task.FromResult(ReminderTickLog.Of(key).Count >= 2),
            Timeout,
            $"reminder '{ReminderProbeGrain.ReminderName}' of grain {key} has ticked twice");
    }

    [Fact]
    public async Task ReminderTick_OwnerSiloKilled_FiresOnSurvivingSilo()
    {
        using var firings = new ReminderFirings();
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 2);
        await cluster.DeployAsync(Ct);
        // Both silos in the ring before registering, so the owner does not change under the test.
        await PostgresTestCluster.WaitUntilAllActiveAsync(cluster, Timeout);
        var key = Guid.NewGuid().ToString("N");
        var grain = cluster.Client.GetGrain<IReminderProbeGrain>(key);
        var grainId = grain.GetGrainId();

        await grain.StartAsync(Period);
        await Eventually.TrueAsync(
            () => Task.FromResult(firings.Of(grainId).Count > 0 && ReminderTickLog.Of(key).Count > 0),
            Timeout,
            $"before the kill: a silo's reminder service has fired reminder '{ReminderProbeGrain.ReminderName}' of grain {key} and the grain received it");

        // The silo whose reminder service fires the reminder owns its range of the ring.
        var owner = firings.Of(grainId)[^1];
        var ownerSilo = cluster.Silos.Single(s => s.SiloAddress.Equals(owner));
        var survivor = cluster.Silos.Single(s => !s.SiloAddress.Equals(owner)).SiloAddress;
        var firedBefore = firings.Of(grainId).Count;
        var ticksBefore = ReminderTickLog.Of(key).Count;
        await cluster.KillSiloAsync(ownerSilo, Ct);

        await Eventually.TrueAsync(
            () => Task.FromResult(
                firings.Of(grainId).Skip(firedBefore).Contains(survivor) &&
                ReminderTickLog.Of(key).Skip(ticksBefore).Contains(survivor)),
            Timeout,
            $"after killing owner {owner}: survivor {survivor} has fired reminder '{ReminderProbeGrain.ReminderName}' of grain {key} and the grain received a tick there");
    }

    /// <summary>The silos whose reminder services fired a tick, per grain, from Orleans' reminder diagnostics.</summary>
    private sealed class ReminderFirings : IObserver<ReminderEvents.ReminderEvent>, IDisposable
    {
        private readonly ConcurrentDictionary<GrainId, ConcurrentQueue<SiloAddress>> fired = new();
        private readonly IDisposable subscription;

        public ReminderFirings() => subscription = ReminderEvents.AllEvents.Subscribe(this);

        public IReadOnlyList<SiloAddress> Of(GrainId grainId) => fired.TryGetValue(grainId, out var silos) ? [.. silos] : [];

        public void OnNext(ReminderEvents.ReminderEvent value)
        {
            if (value is ReminderEvents.TickFiring { SiloAddress: { } silo } tick)
            {
                fired.GetOrAdd(tick.GrainId, static _ => new()).Enqueue(silo);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void Dispose() => subscription.Dispose();
    }
}
