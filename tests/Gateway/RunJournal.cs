using System.Text.Json;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Orleans;

namespace AgentGrains.Tests.Gateway;

/// <summary>Compares what a client received on a run's event stream with the run's committed journal.</summary>
public static class RunJournal
{
    // As the gateway writes event data: web casing, absent fields omitted.
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The finished run's whole journal, read from the grain (<c>GetRunEventsAsync(runId, 0, …)</c> page by page).</summary>
    public static async Task<IReadOnlyList<RunEvent>> ReadAsync(IGrainFactory grains, string runId)
    {
        Assert.True(RunIds.TryParse(runId, out var sessionId, out _), runId);
        var session = grains.GetGrain<IAgentSessionGrain>(sessionId);
        var journal = new List<RunEvent>();
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await session.GetRunEventsAsync(runId, journal.Count, TimeSpan.Zero);
            journal.AddRange(page.Events);
            if (page.Finished)
            {
                return journal;
            }

            Assert.NotEmpty(page.Events);
        }

        throw new InvalidOperationException($"The journal of {runId} did not end within 100 pages.");
    }

    /// <summary>Asserts that <paramref name="received"/> is the finished run's journal exactly: ids 1..n without gap or duplicate, same types, same data.</summary>
    public static async Task AssertReceivedWholeJournalAsync(IGrainFactory grains, string runId, IReadOnlyList<ServerSentEvent> received)
    {
        var journal = await ReadAsync(grains, runId);
        Assert.Equal(Enumerable.Range(1, received.Count).Select(static i => (long)i), received.Select(static e => e.Id));
        Assert.Equal(journal.Select(static e => (e.Sequence, e.Type)), received.Select(static e => (e.Id, e.Type)));
        Assert.Equal(journal.Select(static e => JsonSerializer.Serialize(e, Web)), received.Select(static e => e.Data));
        Assert.Equal(RunEventTypes.Finished, received[^1].Type);
    }
}
