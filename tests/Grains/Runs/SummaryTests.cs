using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>A session's running summary: made by a run, journaled before use, kept with the session, never asked twice.</summary>
public abstract class SummaryTests(StorageUnderTest storage) : RunTestBase(storage)
{
    private const string Agent = "brief";

    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : SummaryTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : SummaryTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task SendAsync_NameFellOutOfTheWindow_AnsweredFromTheSummaryBeforeAndAfterARestart()
    {
        var model = new RecordingChatClient(new ScriptedChatClient());
        await using var cluster = await StartAsync(services => AddAgent(services, model));
        var session = await CreateSessionAsync(cluster.Grains, "ada", Agent);

        Assert.Equal("Got it: your name is Ada.", (await session.SendAsync("My name is Ada.")).Reply);
        await session.SendAsync("I like tea.");
        await session.SendAsync("The sky is blue.");
        var result = await session.SendAsync("What is my name?");

        Assert.Equal("Your name is Ada.", result.Reply);
        var request = model.Requests[^1];
        // The statement is out of the window: the model saw it only in the summary, after the instructions.
        Assert.DoesNotContain(request, static m => m.Role == ChatRole.User && m.Text.Contains("Ada", StringComparison.Ordinal));
        Assert.StartsWith(SummaryRequest.Prefix, request[1].Text, StringComparison.Ordinal);
        Assert.Contains("My name is Ada.", request[1].Text, StringComparison.Ordinal);
        var events = await session.GetRunEventsAsync(result.RunId, after: 0, TimeSpan.Zero);
        var updated = Assert.Single(events.Events, static e => e.Type == RunEventTypes.SummaryUpdated);
        Assert.Equal(RunStatus.Completed, updated.Status);
        Assert.Contains("My name is Ada.", updated.Text, StringComparison.Ordinal);
        var before = model.Requests.Count;

        await cluster.RestartInPlaceAsync();
        var restarted = cluster.Grains.GetGrain<IAgentSessionGrain>("ada");

        Assert.Equal("Your name is Ada.", (await restarted.SendAsync("What is my name?")).Reply);
        // Two more messages fell out: the summary is updated, from the one loaded with the session.
        var update = model.Requests[before];
        Assert.True(SummaryRequest.IsRequest(update, null, out _));
        Assert.Contains($"{SummaryRequest.PreviousHeading}\nMy name is Ada.", update[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_BuiltInAssistantOnTheScriptedModel_RemembersANameLongOutOfItsWindow()
    {
        await using var cluster = await StartAsync();
        var session = await CreateSessionAsync(cluster.Grains, "assistant-ada", BuiltInAgents.AssistantName);
        await session.SendAsync("My name is Ada.");
        for (var i = 1; i <= BuiltInAgents.Assistant.HistoryWindow; i++)
        {
            await session.SendAsync($"Fact {i} is number {i}.");
        }

        var result = await session.SendAsync("What is my name?");

        Assert.Equal("Your name is Ada.", result.Reply);
        var history = await session.GetHistoryAsync();
        // The statement is more than a window behind the question.
        Assert.True(history.Count - 1 - BuiltInAgents.Assistant.HistoryWindow > 0);
        Assert.Contains(
            (await session.GetRunEventsAsync(RunIds.Format("assistant-ada", 21), after: 0, TimeSpan.Zero)).Events,
            static e => e.Type == RunEventTypes.SummaryUpdated && e.Text!.Contains("My name is Ada.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SiloKilled_DuringTheSummaryOrAfterItsCommit_ResumedRunAsksForTheSummaryOnlyIfItWasNotCommitted(bool committed)
    {
        var model = new HeldModel(holdSummary: !committed);
        await using var cluster = await StartAsync(services => AddAgent(services, model));
        var session = await CreateSessionAsync(cluster.Grains, "crash", Agent);
        await session.SendAsync("My name is Ada.");
        await session.SendAsync("I like tea.");
        model.Arm();

        var runId = (await session.SubmitAsync("What is my name?")).RunId;
        await model.Gate.WaitEnteredAsync(committed ? "the step after the summary asks the model" : "the summary is asked for");
        var journaled = await session.GetRunEventsAsync(runId, after: 0, TimeSpan.Zero);
        Assert.Equal(committed, journaled.Events.Any(static e => e.Type == RunEventTypes.SummaryUpdated));
        Assert.Equal(1, model.Summaries);

        await using var restarted = await cluster.RestartAsync(graceful: false, whileDown: model.Gate.Release);
        var resumed = restarted.Grains.GetGrain<IAgentSessionGrain>("crash");
        var run = await WaitForEndAsync(resumed, runId);

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Equal("Your name is Ada.", run.Reply);
        // Asked once more only when the kill cut the summary short; a committed one is reused.
        Assert.Equal(committed ? 1 : 2, model.Summaries);
        var events = (await resumed.GetRunEventsAsync(runId, after: 0, TimeSpan.Zero)).Events;
        Assert.Single(events, static e => e.Type == RunEventTypes.SummaryUpdated);
        Assert.Contains(events, static e => e.Type == RunEventTypes.Resumed);
    }

    private static void AddAgent(IServiceCollection services, IChatClient model)
    {
        services.AddSingleton(new AgentDefinition(Agent, "Be brief.", [])
        {
            HistoryWindow = 2,
            SummarizeAfter = 2,
            WatchdogPeriod = TimeSpan.FromSeconds(1),
        });
        services.AddSingleton(model);
    }

    /// <summary>The scripted model; once armed, holds the first summary request, or the first call after a summary, at its gate.</summary>
    private sealed class HeldModel(bool holdSummary) : DelegatingChatClient(new ScriptedChatClient())
    {
        private int summaries;
        private int armed;

        public ModelGate Gate { get; } = new();

        public int Summaries => Volatile.Read(ref summaries);

        public void Arm() => Volatile.Write(ref armed, 1);

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
            var summary = SummaryRequest.IsRequest(request, options, out _);
            if (summary)
            {
                Interlocked.Increment(ref summaries);
            }

            if (Volatile.Read(ref armed) == 1 && summary == holdSummary && (holdSummary || Summaries > 0) && Interlocked.Exchange(ref armed, 0) == 1)
            {
                await Gate.PassAsync(cancellationToken);
            }

            return await base.GetResponseAsync(request, options, cancellationToken);
        }
    }
}
