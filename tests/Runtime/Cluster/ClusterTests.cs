using AgentGrains.Runtime;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Runtime.Cluster;

/// <summary>Several silos over one database, on every storage provider: one nested subclass each.</summary>
public abstract class ClusterTests(StorageUnderTest storage) : ClusterTestBase(storage)
{
    [Trait("Category", "Cluster")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : ClusterTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Cluster")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : ClusterTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task Contention_ThreeSilos200Grains20000Messages_EveryMessageOnceAndOneActivationPerGrain()
    {
        var probe = new ClusterProbe();
        await using var cluster = await StartClusterAsync(probe);
        var silos = cluster.Silos;
        const int Grains = 200;
        const int Messages = 20_000;
        const int Clients = 50;

        // Each client sends its share through a silo of its own choosing, so most calls cross silos.
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            var random = new Random(client);
            for (var i = client; i < Messages; i += Clients)
            {
                var via = silos[random.Next(silos.Count)].GrainFactory;
                await via.GetGrain<IClusterCounterGrain>($"g{i % Grains}").IncrementAsync(client);
            }
        }));

        Assert.Empty(probe.Violations);
        for (var g = 0; g < Grains; g++)
        {
            var grain = $"cluster-counter/g{g}";
            Assert.Equal(Messages / Grains, probe.Turns(grain));
            Assert.Equal(Messages / Grains, await silos[g % 3].GrainFactory.GetGrain<IClusterCounterGrain>($"g{g}").GetAsync());
            Assert.Single(probe.SilosPerGrain[grain]);
        }

        // Work spread over the silos: grains are placed where they are first called.
        Assert.True(silos.All(s => s.Silo.ActivationCount > 0), string.Join(", ", silos.Select(s => $"{s}: {s.Silo.ActivationCount}")));
    }

    [Fact]
    public async Task Placement_SiloAtItsActivationLimit_NewGrainsGoToAPeer()
    {
        var probe = new ClusterProbe();
        await using var cluster = await StartClusterAsync(probe, silos: 2, settings: new() { ["Silo:MaxActivations"] = "5" });
        var (full, peer) = (cluster.Silos[0], cluster.Silos[1]);
        await Eventually.TrueAsync(() => Task.FromResult(full.Silo.KnownActivePeers == 1), TimeSpan.FromSeconds(10), "silo 0 sees silo 1 as an active peer");

        var results = new List<long>();
        // Nine grains: five fill silo 0; the peer stays below its own limit for the other four.
        for (var i = 0; i < 9; i++)
        {
            results.Add(await full.GrainFactory.GetGrain<IClusterCounterGrain>($"p{i}").IncrementAsync(0));
        }

        Assert.All(results, r => Assert.Equal(1, r));
        Assert.Equal(5, full.Silo.ActivationCount);
        Assert.Equal(4, peer.Silo.ActivationCount);
        Assert.Empty(probe.Violations);
    }

    [Fact]
    public async Task ClientNode_HostsNoGrains_ItsCallsRunOnSilosWithOneActivationEach()
    {
        var probe = new ClusterProbe();
        await using var cluster = await StartClusterAsync(probe, silos: 2);
        var client = await cluster.StartClientAsync();
        await Eventually.TrueAsync(() => Task.FromResult(client.Silo.KnownActivePeers == 2), TimeSpan.FromSeconds(10), "the client sees both silos");

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => client.GrainFactory.GetGrain<IClusterCounterGrain>($"c{i % 20}").IncrementAsync(i)));
        var owners = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GrainFactory.GetGrain<IClusterCounterGrain>($"c{i}").GetSiloAsync()));

        Assert.Equal(Enumerable.Repeat(1L, 20).Concat(Enumerable.Repeat(2L, 20)).Order(), results.Order());
        Assert.Equal(0, client.Silo.ActivationCount);
        Assert.All(owners, o => Assert.Contains(o, cluster.Silos.Select(s => s.Silo.SiloId)));
        Assert.Equal(20, cluster.Silos.Sum(s => s.Silo.ActivationCount));
        Assert.Empty(probe.Violations);
        var members = await client.Services.GetRequiredService<AgentGrains.Runtime.Membership.IClusterMembership>().GetSilosAsync(CancellationToken.None);
        Assert.DoesNotContain(members, m => m.Id == client.Silo.SiloId);
    }

    [Fact]
    public async Task ReadOnlyCall_ThroughAnotherSilo_AnsweredByTheOwningActivation()
    {
        var probe = new ClusterProbe();
        await using var cluster = await StartClusterAsync(probe, silos: 2);
        await cluster.Silos[0].GrainFactory.GetGrain<IClusterCounterGrain>("ro").IncrementAsync(0);
        // Usually the silo called first; a silo that has just started may claim a grain whose first
        // message is in flight, so the caller below is whichever silo does not own it.
        var ownerId = await cluster.Silos[0].GrainFactory.GetGrain<IClusterCounterGrain>("ro").GetSiloAsync();
        var caller = Assert.Single(cluster.Silos, s => s.Silo.SiloId != ownerId);

        var owner = await caller.GrainFactory.GetGrain<IClusterCounterGrain>("ro").GetSiloAsync();

        Assert.Equal(ownerId, owner);
        Assert.Equal(1, await caller.GrainFactory.GetGrain<IClusterCounterGrain>("ro").GetAsync());
        // The caller's own activation closes once its claim names the owner; it may trail the answer.
        await Eventually.TrueAsync(() => Task.FromResult(caller.Silo.ActivationCount == 0), TimeSpan.FromSeconds(10), "the calling silo hosts no activation of the grain");
    }

    [Fact]
    public async Task StopSilo_GracefullyUnderLoad_NoCallerSeesAnErrorAndNothingIsLost()
    {
        var probe = new ClusterProbe();
        // No safety scan and short call timeouts: the hand-over at stop is what must deliver.
        await using var cluster = await StartClusterAsync(probe, settings: new() { ["Silo:RecoveryInterval"] = "01:00:00", ["Silo:ResponseTimeout"] = "00:00:10" });
        var leaving = cluster.Silos[2];
        var staying = cluster.Silos.Take(2).ToArray();
        var grains = Enumerable.Range(0, 30).Select(i => $"d{i}").ToArray();
        foreach (var grain in grains)
        {
            // Placed on the silo that leaves.
            await leaving.GrainFactory.GetGrain<IClusterCounterGrain>(grain).IncrementAsync(-1);
        }

        var sent = 0;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var load = Task.WhenAll(Enumerable.Range(0, 10).Select(async client =>
        {
            for (var i = 0; i < 60; i++)
            {
                try
                {
                    await staying[i % 2].GrainFactory.GetGrain<IClusterCounterGrain>(grains[(client + i) % grains.Length]).IncrementAsync(client);
                    Interlocked.Increment(ref sent);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            }
        }));
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref sent) > 100), TimeSpan.FromSeconds(30), "100 calls went through before the stop");
        await cluster.StopSiloAsync(leaving);
        await load;

        Assert.Empty(errors);
        Assert.Empty(probe.Violations);
        var total = 0L;
        foreach (var grain in grains)
        {
            total += await staying[0].GrainFactory.GetGrain<IClusterCounterGrain>(grain).GetAsync();
        }

        Assert.Equal(grains.Length + 600, total);
    }

    [Fact]
    public async Task KillSilo_UnderLoad_NothingLostOrDoubledAndItsGrainsServedElsewhere()
    {
        var probe = new ClusterProbe();
        await using var cluster = await StartClusterAsync(probe);
        var victim = cluster.Silos[2];
        var survivors = cluster.Silos.Take(2).ToArray();
        // Grains placed on the victim: first called through it.
        var grains = Enumerable.Range(0, 30).Select(i => $"k{i}").ToArray();
        foreach (var grain in grains)
        {
            await victim.GrainFactory.GetGrain<IClusterCounterGrain>(grain).IncrementAsync(-1);
        }

        var sent = 0;
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var load = Task.WhenAll(Enumerable.Range(0, 10).Select(async client =>
        {
            for (var i = 0; i < 60; i++)
            {
                var grain = grains[(client + i) % grains.Length];
                using var key = RequestContext.WithIdempotencyKey($"c{client}-{i}");
                // Callers retry with the same key until the call lands: at most once, never lost.
                while (true)
                {
                    try
                    {
                        await survivors[i % 2].GrainFactory.GetGrain<IClusterCounterGrain>(grain).IncrementAsync(client);
                        Interlocked.Increment(ref sent);
                        acknowledged.AddOrUpdate(grain, 1, static (_, n) => n + 1);
                        break;
                    }
                    catch (AgentGrainsException ex) when (ex.IsTransient)
                    {
                    }
                }
            }
        }));
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref sent) > 100), TimeSpan.FromSeconds(30), "100 calls went through before the kill");
        var killedAt = DateTime.UtcNow;
        await cluster.KillSiloAsync(victim);
        await load;

        var recovery = DateTime.UtcNow - killedAt;
        Assert.Empty(probe.Violations);
        var total = 0L;
        foreach (var grain in grains)
        {
            // A turn cut short by the kill may run again elsewhere, but only one commit per message counts.
            var count = await survivors[0].GrainFactory.GetGrain<IClusterCounterGrain>(grain).GetAsync();
            Assert.Equal(1 + acknowledged.GetValueOrDefault(grain), count);
            total += count;
        }

        Assert.Equal(grains.Length + 600, total);
        Assert.True(recovery < TimeSpan.FromSeconds(2 + 2 + 10), $"calls to the killed silo's grains resumed after {recovery}");
        Assert.All(grains, g => Assert.DoesNotContain(victim.Silo.SiloId, survivors[0].GrainFactory.GetGrain<IClusterCounterGrain>(g).GetSiloAsync().Result));
    }
}
