using Orleans.TestingHost;

namespace AgentGrains.Tests.ClusterSilo;

/// <summary>The process entry point.</summary>
/// <remarks>
/// A named class rather than top-level statements: ASP.NET Core's source generator would make a
/// top-level <c>Program</c> public, and it would clash with the silo's own <c>Program</c> in the tests.
/// </remarks>
internal static class ClusterSiloHost
{
    /// <summary>Started by Orleans' <c>StandaloneSiloHandle</c> with the parent's process id and the silo's configuration; exits when the parent does.</summary>
    public static Task Main(string[] args) => StandaloneSiloHost.Main(args);
}
