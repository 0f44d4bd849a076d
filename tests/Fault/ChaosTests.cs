namespace AgentGrains.Tests.Fault;

/// <summary>The chaos bench (<c>bench -- chaos</c>) shortened: three silo processes under load through their gateways while silos are killed and PostgreSQL and Redis restart.</summary>
/// <remarks>
/// It starts its own PostgreSQL and Redis (it restarts both, so it cannot share the run's servers).
/// About a minute on 2 cores: three kills 10 s apart, then each server's restart, then the checks.
/// </remarks>
[Trait("Category", "Fault")]
[Trait("Provider", "Postgres")]
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KillsAndServerRestarts_UnderLoadThroughTheGateways_NothingLostOrDoubledEveryEffectOnceNoRunStuck()
    {
        var seed = Environment.TickCount & 0xFFFF;
        var report = await ChaosRun.RunAsync(new ChaosPlan { Seed = seed }, output.WriteLine, TestContext.Current.CancellationToken);
        output.WriteLine(report.Table());
        var failure = $"\n{report.Table()}\n{report.Details()}";

        Assert.True(report.Acknowledged >= 40, $"only {report.Acknowledged} messages were acknowledged: too little load to measure anything{failure}");
        Assert.True(report.Lost.Count == 0, $"lost messages{failure}");
        Assert.True(report.Twice.Count == 0, $"messages processed twice{failure}");
        Assert.True(report.DuplicateEffects.Count == 0, $"duplicate tool effects{failure}");
        Assert.True(report.MissingEffects.Count == 0, $"missing tool effects{failure}");
        Assert.True(report.ExtraSpecialistRuns.Count == 0, $"specialist calls run twice{failure}");
        Assert.True(report.Stuck.Count == 0, $"runs stuck after the faults{failure}");
        Assert.True(report.ToolCalls >= report.Acknowledged, $"fewer notify calls than acknowledged runs{failure}");
    }
}
