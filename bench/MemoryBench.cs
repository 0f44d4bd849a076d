using System.Globalization;
using AgentGrains.Grains;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Bench;

/// <summary>Managed memory held per idle agent-session activation (DESIGN.md §7: at most 4 KiB beyond its state).</summary>
/// <remarks>
/// Activates <c>count</c> sessions, each after one completed run of the built-in assistant (so every
/// activation has been through a whole run: driver, journal, published view), then forces a full
/// collection and divides the growth of the managed heap by the number of sessions. The sessions stay
/// activated (the idle timeout is an hour). Their state, a few hundred bytes of counters, is included:
/// the figure is an upper bound of what an idle activation costs beyond its state.
/// </remarks>
internal static class MemoryBench
{
    public static async Task RunAsync(int count)
    {
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:Path"] = Path.Combine(directory, "grains.db"),
                ["Storage:FlushEachCommit"] = "false",
                ["Silo:IdleTimeout"] = "01:00:00",
            });
            builder.Services.AddAgentGrainsSilo().AddAgentSessions();
            using var host = builder.Build();
            await host.StartAsync();
            var grains = host.Services.GetRequiredService<IGrainFactory>();

            // Warm up every code path once, so the baseline holds the JIT's and the caches' memory.
            await RunOneAsync(grains, "warm-up");
            var before = Settle();
            for (var i = 0; i < count; i += 64)
            {
                await Task.WhenAll(Enumerable.Range(i, Math.Min(64, count - i)).Select(n => RunOneAsync(grains, $"idle-{n}")));
            }

            var after = Settle();
            var perActivation = (after - before) / (double)count;
            Console.WriteLine($"AgentGrains memory bench: {count.ToString(CultureInfo.InvariantCulture)} idle agent sessions, each after one completed run");
            Console.WriteLine();
            Console.WriteLine("| sessions | managed heap before | after | per idle activation |");
            Console.WriteLine("|---|---|---|---|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {count:N0} | {before / 1024.0 / 1024.0:0.0} MiB | {after / 1024.0 / 1024.0:0.0} MiB | {perActivation / 1024.0:0.00} KiB |"));
            await host.StopAsync();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task RunOneAsync(IGrainFactory grains, string id)
    {
        var session = grains.GetGrain<IAgentSessionGrain>(id);
        await session.CreateAsync("assistant");
        var result = await session.SendAsync("hello");
        if (result.Status != "completed")
        {
            throw new InvalidOperationException($"Session {id}: the run ended {result.Status} ({result.Reason}).");
        }
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
