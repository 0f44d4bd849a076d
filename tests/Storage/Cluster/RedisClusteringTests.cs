using System.Diagnostics;
using AgentGrains.Tests.ClusterSilo;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace AgentGrains.Tests.Storage.Cluster;

/// <summary>Silos and a client that find each other through membership in Redis, configured by <c>UseAgentGrainsClustering</c>.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Redis")]
public sealed class RedisClusteringTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(60);

    // A call in flight to a silo at the moment it dies is never answered and waits for the client's
    // response timeout (30 s): each poll gives up on its call sooner, so one lost call does not stall the wait.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    // Far above the one to two seconds the tuned defaults take, and above Orleans' own 12–18 s, so a slow
    // machine never fails the test; how long it really took is printed, never asserted.
    private static readonly TimeSpan DeathTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task UseAgentGrainsClustering_ThreeSilosOnRedis_FormOneClusterThatAClientCalls()
    {
        await using var test = await RedisTestCluster.StartAsync(silos: 3);
        var silos = test.Cluster.Silos.Select(s => s.SiloAddress).ToHashSet();

        // The test cluster's own membership is off: the silos can only have found each other, and the
        // client its gateways, through the table in Redis.
        await WaitForActiveSilosAsync(test.Cluster.Client, silos);

        var answeredFrom = await test.Cluster.Client.GetGrain<IClusterLocationGrain>("first-call").GetSiloAsync();
        Assert.Contains(answeredFrom, silos);
        var redis = await ConnectionMultiplexer.ConnectAsync(test.RedisConnectionString);
        await using (redis)
        {
            Assert.True(await redis.GetDatabase().KeyExistsAsync(test.MembershipKey), $"the membership table should be in Redis under {test.MembershipKey}");
        }
    }

    [Fact]
    public async Task KillSiloAsync_SiloOnRedisMembership_IsDeclaredDeadByItsPeersAndItsGrainAnswersFromAnother()
    {
        await using var test = await RedisTestCluster.StartAsync(silos: 3);
        var client = test.Cluster.Client;
        await WaitForActiveSilosAsync(client, test.Cluster.Silos.Select(s => s.SiloAddress).ToHashSet());
        var victim = test.Cluster.Silos[1];
        var survivors = test.Cluster.Silos.Where(s => s != victim).Select(s => s.SiloAddress).ToHashSet();

        var grain = client.GetGrain<IClusterLocationGrain>("lives-on-the-victim");
        RequestContext.Set(IPlacementDirector.PlacementHintKey, victim.SiloAddress);
        try
        {
            Assert.Equal(victim.SiloAddress, await grain.GetSiloAsync());
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }

        var clock = Stopwatch.StartNew();
        await test.Cluster.KillSiloAsync(victim, TestContext.Current.CancellationToken);
        var killed = clock.Elapsed;

        var management = client.GetGrain<IManagementGrain>(0);
        var declared = await WaitUntilAsync(
            async () =>
            {
                var hosts = await management.GetHosts(onlyActive: false, TestContext.Current.CancellationToken).WaitAsync(CallTimeout, TestContext.Current.CancellationToken);
                return hosts.TryGetValue(victim.SiloAddress, out var status) ? (status == SiloStatus.Dead, $"its status is {status}") : (false, "it is not in the table");
            },
            DeathTimeout,
            $"the surviving silos declare the killed silo {victim.SiloAddress} Dead in the membership table (IManagementGrain.GetHosts)");
        var deadAfter = clock.Elapsed;

        var entry = (await management.GetDetailedHosts(onlyActive: false, TestContext.Current.CancellationToken)).Single(e => e.SiloAddress.Equals(victim.SiloAddress));
        Assert.True(
            entry.SuspectTimes?.Any(vote => survivors.Contains(vote.Item1)) == true,
            $"a surviving silo should have voted {victim.SiloAddress} dead, but the votes are [{string.Join(", ", entry.SuspectTimes?.Select(v => v.Item1) ?? [])}]: " +
            "the silo was not detected as failed by its peers");

        var movedTo = await WaitUntilAsync(
            async () =>
            {
                var silo = await grain.GetSiloAsync().WaitAsync(CallTimeout, TestContext.Current.CancellationToken);
                return (survivors.Contains(silo), $"it answered from {silo}");
            },
            DeathTimeout,
            $"grain {grain.GetGrainId()}, which lived on the killed silo, answers again from a surviving silo through the client");
        var answeredAfter = clock.Elapsed;

        output.WriteLine(
            $"kill returned after {killed.TotalSeconds:0.00} s; declared Dead after {deadAfter.TotalSeconds:0.00} s ({declared} polls); " +
            $"its grain answered again after {answeredAfter.TotalSeconds:0.00} s ({movedTo} polls); votes: {string.Join(", ", entry.SuspectTimes!.Select(v => v.Item1))}");
    }

    private static async Task WaitForActiveSilosAsync(IClusterClient client, IReadOnlySet<SiloAddress> silos)
    {
        var management = client.GetGrain<IManagementGrain>(0);
        await WaitUntilAsync(
            async () =>
            {
                var active = (await management.GetHosts(onlyActive: true, TestContext.Current.CancellationToken).WaitAsync(CallTimeout, TestContext.Current.CancellationToken)).Keys.ToHashSet();
                return (active.SetEquals(silos), $"the active silos are [{string.Join(", ", active)}]");
            },
            FormTimeout,
            $"all of [{string.Join(", ", silos)}] are Active in the membership table and no other silo is");
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes, and
    /// returns how many polls it took. A poll that throws counts as not yet (calls fail while the
    /// cluster reacts to a death); the timeout's message says what was last seen.
    /// </summary>
    private static async Task<int> WaitUntilAsync(Func<Task<(bool Done, string Seen)>> condition, TimeSpan timeout, string expectation)
    {
        var deadline = Stopwatch.StartNew();
        var polls = 0;
        var seen = "nothing yet";
        while (deadline.Elapsed < timeout)
        {
            polls++;
            try
            {
                var (done, state) = await condition();
                if (done)
                {
                    return polls;
                }

                seen = state;
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException or SiloUnavailableException)
            {
                seen = $"{ex.GetType().Name}: {ex.Message}";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting until {expectation}; last seen: {seen}.");
    }
}
