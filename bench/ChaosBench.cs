using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using AgentGrains.Tests.Fault;

namespace AgentGrains.Bench;

/// <summary>
/// Chaos under load, measured: three silo processes (the silo executable) over a throwaway PostgreSQL
/// and Redis, clients sending agent runs with a side-effecting tool and a specialist through the
/// silos' gateways, one silo killed with SIGKILL every 10 s for the given minutes (each restarted), then
/// PostgreSQL and then Redis restarted under the same load; then every acknowledged message is checked.
/// </summary>
/// <remarks>The scenario is <see cref="ChaosRun"/>, which the test suite runs shortened (<c>ChaosTests</c>).</remarks>
internal static class ChaosBench
{
    public static async Task RunAsync(double minutes, int? seed)
    {
        var directory = typeof(ChaosBench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(static a => a.Key == "SiloDirectory").Value!;
        if (!File.Exists(Path.Combine(directory, "AgentGrains.Silo.dll")))
        {
            throw new InvalidOperationException($"The silo executable is not in {directory}: build the bench (which builds the silo) in the same configuration first.");
        }

        var plan = new ChaosPlan
        {
            Clients = 8,
            SessionsPerClient = 2,
            WarmUp = TimeSpan.FromSeconds(10),
            Kills = Math.Max(1, (int)Math.Round(minutes * 6)),
            KillInterval = TimeSpan.FromSeconds(10),
            Downtime = TimeSpan.FromSeconds(5),
            Pause = TimeSpan.FromSeconds(10),
            SettleTimeout = TimeSpan.FromSeconds(120),
            RetryBudget = TimeSpan.FromSeconds(90),
            Seed = seed ?? (Environment.TickCount & 0xFFFF),
            SiloDirectory = directory,
        };

        // Ctrl+C or kill: the silo processes and servers are children of this one; stop them before leaving.
        using var interrupted = new CancellationTokenSource();
        using var signals = new Registrations([.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT, PosixSignal.SIGHUP }
            .Select(signal => PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                interrupted.Cancel();
            }))]);

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"AgentGrains chaos bench: 3 silo processes (PostgreSQL storage, Redis membership), {plan.Clients} clients over {plan.Clients * plan.SessionsPerClient} sessions, " +
            $"{plan.Kills} kills (kill -9) {plan.KillInterval.TotalSeconds:0} s apart, then a PostgreSQL and a Redis restart ({plan.Downtime.TotalSeconds:0} s down each); seed {plan.Seed}; {Environment.ProcessorCount} cores"));
        Console.WriteLine();
        var report = await ChaosRun.RunAsync(plan, Console.WriteLine, interrupted.Token);
        Console.WriteLine();
        Console.WriteLine(report.Table());
        var details = report.Details();
        if (report.Lost.Count + report.Twice.Count + report.DuplicateEffects.Count + report.MissingEffects.Count + report.ExtraSpecialistRuns.Count + report.Stuck.Count > 0 || report.ClientErrorKeys.Count > 0)
        {
            Console.WriteLine(details);
        }
    }

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
