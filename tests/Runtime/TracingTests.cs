using System.Collections.Concurrent;
using System.Diagnostics;
using AgentGrains.Runtime.Diagnostics;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Runtime;

/// <summary>Runs on every storage provider: one nested subclass each.</summary>
public abstract class TracingTests(StorageUnderTest storage) : RuntimeTestBase(storage)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : TracingTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : TracingTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task DurableCall_InsideCallerSpan_ProducesCallAndTurnSpansInTheCallersTrace()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RuntimeDiagnostics.SourceName or "AgentGrains.Tests",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var testSource = new ActivitySource("AgentGrains.Tests");
        var grainKey = "traced-" + Guid.NewGuid().ToString("N");

        await using var silo = await StartSiloAsync(new Probe());
        ActivityTraceId traceId;
        ActivitySpanId rootId;
        using (var root = testSource.StartActivity("request"))
        {
            Assert.NotNull(root);
            traceId = root.TraceId;
            rootId = root.SpanId;
            await silo.Grains.GetGrain<ICounterGrain>(grainKey).AddAsync(1);
            // The call's span must not leak into the caller's flow.
            Assert.Same(root, Activity.Current);
        }

        var mine = spans.Where(s => (s.GetTagItem("agentgrains.grain.id") as string) == $"counter/{grainKey}").ToList();
        var call = Assert.Single(mine, s => s.DisplayName == "call counter.AddAsync");
        var turn = Assert.Single(mine, s => s.DisplayName == "process counter.AddAsync");
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal(ActivityKind.Server, turn.Kind);
        Assert.Equal(traceId, call.TraceId);
        Assert.Equal(traceId, turn.TraceId);
        Assert.Equal(rootId, call.ParentSpanId);
        Assert.Equal(call.SpanId, turn.ParentSpanId);
    }
}
