using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Storage.Journal;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.Sessions;

/// <summary>
/// Runs outliving the silo that drove them, on a real Orleans cluster: the watchdog reminder alone
/// resumes a run whose silo was killed, a whole cluster restarts under runs in flight, a silo drains
/// under a waiting client. Outcomes are read from the session journal itself wherever a call to the
/// session would be the thing that resumes it.
/// </summary>
public abstract class SessionFailoverTests(StorageUnderTest storage) : IAsyncLifetime
{
    /// <summary>An agent with the calculator whose watchdog ticks every second (the default is 10 s).</summary>
    private const string Agent = "watched";

    /// <summary>The same agent with the default watchdog period (10 s).</summary>
    private const string SteadyAgent = "steady";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>How long a graceful stop of a silo may take here; well below a gateway's long poll.</summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(15);

    private static readonly string WaitForRun = $"{nameof(IAgentSessionGrain)}.{nameof(IAgentSessionGrain.WaitForRunAsync)}";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly AnswerGate model = new();
    private readonly SessionCallLog calls = new();

    [Trait("Category", "Fault")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : SessionFailoverTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Fault")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : SessionFailoverTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task ReceiveReminder_SessionAndItsReminderOnAKilledSilo_WatchdogAloneResumesTheRunOnALiveSiloFromItsJournal()
    {
        await using var cluster = await StartAsync(silos: 2);
        var (survivor, victim) = (cluster.Cluster.Silos[0], cluster.Cluster.Silos[1]);
        // The session lives on the victim, and so does its watchdog: the victim's reminder service ticks it.
        var session = Enumerable.Range(0, 256)
            .Select(i => cluster.Grains.GetGrain<IAgentSessionGrain>($"watched-{i}"))
            .First(s => SessionCluster.HoldsRemindersOf(victim, s));
        var grainId = session.GetGrainId();
        await cluster.ActivateOnAsync(victim, session, () => session.CreateAsync(Agent));
        model.HangNextAnswer();
        var runId = (await session.SubmitAsync("what is 6*7?")).RunId;
        await ModelGate.WithinAsync(model.AnswerHeld, $"run {runId} asks the model for its answer on silo {victim.SiloAddress}");
        var journal = cluster.SiloService<ISessionJournal>();
        var journaled = await EventsAsync(journal, grainId);
        Assert.Single(journaled, static e => e.Type == RunEventTypes.ToolResult && e.Step == 1);
        Assert.Equal(1, await ReminderRowsAsync(grainId));
        var mark = calls.Mark();

        await cluster.Cluster.KillSiloAsync(victim, TestContext.Current.CancellationToken);
        // Nothing calls the session from here on: the run is watched through the journal only.
        var run = await FinishedRunAsync(journal, grainId, $"run {runId} completes, resumed by its watchdog after silo {victim.SiloAddress} was killed");

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Contains("42", run.Reply, StringComparison.Ordinal);
        var events = await EventsAsync(journal, grainId);
        var resumed = Assert.Single(events, static e => e.Type == RunEventTypes.Resumed);
        Assert.Contains(survivor.SiloAddress.ToString(), resumed.Reason, StringComparison.Ordinal);
        // The journaled step was reused: the model was asked for step 1 once, for the answer again.
        Assert.Single(events, static e => e.Type == RunEventTypes.ModelReply && e.Step == 1);
        Assert.Equal([false, true, true], model.Calls.Select(static c => c.Answer));
        var after = calls.Since(mark, grainId);
        Assert.Contains(after, static c => c == SessionCallLog.ReminderTick);
        Assert.All(after, static c => Assert.Equal(SessionCallLog.ReminderTick, c));
        await Eventually.TrueAsync(async () => await ReminderRowsAsync(grainId) == 0, Bound, $"the watchdog reminder of {grainId} is removed once its run has ended");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RestartAsync_WholeClusterWithARunInFlightOnEverySilo_NewSilosResumeEveryRunWithoutANewMessage(bool graceful)
    {
        const short Silos = 3;
        await using var first = await StartAsync(Silos);
        // Answers wait until the old cluster is gone: a run taken over while its silos go one by one stays in flight too.
        model.HoldAnswers();
        var sessions = new List<GrainId>();
        for (var i = 0; i < Silos; i++)
        {
            var session = first.Grains.GetGrain<IAgentSessionGrain>($"restart-{graceful}-{i}");
            await first.ActivateOnAsync(first.Cluster.Silos[i], session, () => session.CreateAsync(Agent));
            await session.SubmitAsync(string.Create(CultureInfo.InvariantCulture, $"what is 6*{i + 2}?"));
            sessions.Add(session.GetGrainId());
        }

        await Eventually.TrueAsync(() => Task.FromResult(model.Calls.Count(static c => c.Answer) >= Silos), Bound, $"the {Silos} runs ask the model for their answers");
        var (calledBefore, mark) = (0, 0);

        await using var second = await first.RestartAsync(graceful, whileDown: () =>
        {
            (calledBefore, mark) = (model.Calls.Count, calls.Mark());
            model.ReleaseAnswers();
        });

        var journal = second.SiloService<ISessionJournal>();
        for (var i = 0; i < Silos; i++)
        {
            var run = await FinishedRunAsync(journal, sessions[i], $"the run of {sessions[i]} completes on the new cluster");
            Assert.True(run.Status == RunStatus.Completed, $"the run of {sessions[i]} ended {run.Status}: {run.Reason}");
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{6 * (i + 2)}"), run.Reply, StringComparison.Ordinal);
            var resumed = (await EventsAsync(journal, sessions[i])).Last(static e => e.Type == RunEventTypes.Resumed);
            Assert.Contains(second.Cluster.Silos, s => resumed.Reason!.Contains(s.SiloAddress.ToString(), StringComparison.Ordinal));
            // Step 1 (the calculator call and its result) was journaled before the restart and never asked again: the new cluster asked only for the answer, once.
            var user = string.Create(CultureInfo.InvariantCulture, $"what is 6*{i + 2}?");
            Assert.Equal([true], model.Calls.Skip(calledBefore).Where(c => c.User == user).Select(static c => c.Answer));
            await Eventually.TrueAsync(async () => await ReminderRowsAsync(sessions[i]) == 0, Bound, $"the watchdog reminder of {sessions[i]} is removed once its run has ended");
        }

        // Only reminder ticks reached the sessions: no message, no read.
        Assert.All(sessions, s => Assert.Contains(SessionCallLog.ReminderTick, calls.Since(mark, s)));
        Assert.All(sessions, s => Assert.All(calls.Since(mark, s), static c => Assert.Equal(SessionCallLog.ReminderTick, c)));
    }

    [Fact]
    public async Task SendAsync_MessagesOneAfterAnother_TheWatchdogIsWrittenOnceNotTwiceARun()
    {
        await using var cluster = await StartAsync(silos: 1);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("steady");
        await session.CreateAsync(SteadyAgent);
        var grainId = session.GetGrainId();

        var first = await session.SendAsync("what is 6*7?", Bound);
        var written = await ReminderVersionAsync(grainId);
        for (var i = 2; i <= 4; i++)
        {
            var next = await session.SendAsync(string.Create(CultureInfo.InvariantCulture, $"what is 6*{i}?"), Bound);
            Assert.True(next.Status == RunStatus.Completed, $"run {next.RunId} ended {next.Status}: {next.Reason}");
        }

        // Registered by the first run, kept for the next ones (a tick is 10 s away): the same row, never written again.
        Assert.True(first.Status == RunStatus.Completed, $"run {first.RunId} ended {first.Status}: {first.Reason}");
        Assert.NotNull(written);
        Assert.Equal(written, await ReminderVersionAsync(grainId));
        Assert.Equal(1, await ReminderRowsAsync(grainId));
    }

    [Fact]
    public async Task StopSiloAsync_SessionSiloStoppedGracefullyDuringARun_RunCompletesOnAnotherSiloAndTheWaitingClientSeesNoError()
    {
        await using var cluster = await StartAsync(silos: 2);
        var (survivor, victim) = (cluster.Cluster.Silos[0], cluster.Cluster.Silos[1]);
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>("drained");
        await cluster.ActivateOnAsync(victim, session, () => session.CreateAsync(Agent));
        model.HoldAnswers();
        var runId = (await session.SubmitAsync("what is 6*7?")).RunId;
        await ModelGate.WithinAsync(model.AnswerHeld, $"run {runId} asks the model for its answer on silo {victim.SiloAddress}");

        // A client waiting for the run as the gateway does: long polls (25 s, about the gateway's
        // reply wait), a transient failure sent again.
        var waiting = ClusterRuns.WaitForEndAsync(cluster.Grains, runId, pollWait: TimeSpan.FromSeconds(25));
        await Eventually.TrueAsync(() => Task.FromResult(calls.Since(0, session.GetGrainId()).Contains(WaitForRun)), Bound, $"the client waits for run {runId}");
        // Bounded well below the client's poll: a stop held up by the poll would not end in time.
        try
        {
            await cluster.Cluster.StopSiloAsync(victim, TestContext.Current.CancellationToken).WaitAsync(StopBound, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {StopBound.TotalSeconds} s waiting until silo {victim.SiloAddress} stopped gracefully while a client waited for run {runId}.");
        }

        model.ReleaseAnswers();
        var run = await waiting;

        Assert.True(run.Status == RunStatus.Completed, $"run {runId} ended {run.Status}: {run.Reason}");
        Assert.Contains("42", run.Reply, StringComparison.Ordinal);
        Assert.Equal(survivor.SiloAddress, cluster.SiloOf(session)?.SiloAddress);
        var resumed = Assert.Single((await session.GetRunEventsAsync(runId, 0, TimeSpan.Zero)).Events, static e => e.Type == RunEventTypes.Resumed);
        Assert.Contains(survivor.SiloAddress.ToString(), resumed.Reason, StringComparison.Ordinal);
        Assert.Single(model.Calls, static c => !c.Answer);
    }

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public async ValueTask DisposeAsync()
    {
        model.ReleaseAnswers();
        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private Task<SessionCluster> StartAsync(short silos) =>
        SessionCluster.StartAsync(storage, silos, services =>
        {
            services.AddSingleton<IChatClient>(model);
            services.AddSingleton(new AgentDefinition(Agent, "You answer arithmetic with the calculator.", ["calculator"]) { WatchdogPeriod = TimeSpan.FromSeconds(1) });
            services.AddSingleton(new AgentDefinition(SteadyAgent, "You answer arithmetic with the calculator.", ["calculator"]));
            services.AddSingleton<IIncomingGrainCallFilter>(calls);
        });

    /// <summary>The committed events of every run of the session, read from the journal.</summary>
    private static async Task<List<RunEvent>> EventsAsync(ISessionJournal journal, GrainId grain)
    {
        var rows = await journal.ReadAsync(grain.ToString(), "events", 0, 10_000, CancellationToken.None);
        return [.. rows.Select(static r => JsonSerializer.Deserialize<RunEvent>(r, Json)!)];
    }

    /// <summary>Waits (bounded) until the session's first run is in its journal's <c>runs</c> stream, which only finished runs enter; reads it there.</summary>
    private static async Task<RunState> FinishedRunAsync(ISessionJournal journal, GrainId grain, string expectation)
    {
        IReadOnlyList<string> rows = [];
        await Eventually.TrueAsync(
            async () => (rows = await journal.ReadAsync(grain.ToString(), "runs", 0, 1, CancellationToken.None)).Count == 1,
            Bound,
            expectation);
        return JsonSerializer.Deserialize<RunState>(rows[0], Json)!;
    }

    /// <summary>The version Orleans stored with the session's watchdog (changed by every write of it); null when there is none.</summary>
    private async Task<long?> ReminderVersionAsync(GrainId grain) =>
        await storage.ScalarAsync($"SELECT version FROM orleans_reminders WHERE grain_id = '{grain}' AND reminder_name = '{RunEngine.WatchdogReminder}'") is { } version and not DBNull
            ? Convert.ToInt64(version, CultureInfo.InvariantCulture)
            : null;

    /// <summary>The session's reminders as Orleans stores them.</summary>
    private async Task<long> ReminderRowsAsync(GrainId grain) =>
        Convert.ToInt64(await storage.ScalarAsync($"SELECT count(*) FROM orleans_reminders WHERE grain_id = '{grain}'"), CultureInfo.InvariantCulture);

    /// <summary>
    /// The model: the offline scripted one, with its answers (calls after a tool result) held on request.
    /// Shared by every silo of a test, so it sees the calls of the silos that die and of those that take over.
    /// </summary>
    private sealed class AnswerGate() : DelegatingChatClient(new ScriptedChatClient())
    {
        private readonly ConcurrentQueue<(string User, bool Answer)> calls = new();
        private readonly TaskCompletionSource held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? gate;
        private int hangNext;

        /// <summary>Every call so far: the user's message, and whether it asked for an answer from tool results.</summary>
        public IReadOnlyList<(string User, bool Answer)> Calls => [.. calls];

        /// <summary>Completes once an answer is held.</summary>
        public Task AnswerHeld => held.Task;

        /// <summary>The next answer waits until its caller gives up (its activation goes away).</summary>
        public void HangNextAnswer() => Interlocked.Exchange(ref hangNext, 1);

        /// <summary>Answers wait until <see cref="ReleaseAnswers"/> (or until their caller gives up).</summary>
        public void HoldAnswers() => Interlocked.CompareExchange(ref gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

        /// <summary>Lets held answers, and every later one, through.</summary>
        public void ReleaseAnswers() => Interlocked.Exchange(ref gate, null)?.TrySetResult();

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
            var answer = list[^1].Role == ChatRole.Tool;
            calls.Enqueue((list.Last(static m => m.Role == ChatRole.User).Text, answer));
            if (answer && Interlocked.Exchange(ref hangNext, 0) == 1)
            {
                held.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (answer && Volatile.Read(ref gate) is { } closed)
            {
                held.TrySetResult();
                await closed.Task.WaitAsync(cancellationToken);
            }

            return await base.GetResponseAsync(list, options, cancellationToken);
        }
    }

    /// <summary>The calls that reach sessions on any silo (an Orleans incoming call filter): their interface and method.</summary>
    private sealed class SessionCallLog : IIncomingGrainCallFilter
    {
        /// <summary>How a watchdog's tick is recorded.</summary>
        public const string ReminderTick = $"{nameof(IRemindable)}.{nameof(IRemindable.ReceiveReminder)}";

        private readonly Lock gate = new();
        private readonly List<(GrainId Grain, string Call)> log = [];

        /// <summary>A position in the log, for <see cref="Since"/>.</summary>
        public int Mark()
        {
            lock (gate)
            {
                return log.Count;
            }
        }

        /// <summary>The calls <paramref name="grain"/> received after <paramref name="mark"/> (grain timer turns left out: they are not calls).</summary>
        public List<string> Since(int mark, GrainId grain)
        {
            lock (gate)
            {
                return [.. log.Skip(mark).Where(e => e.Grain == grain).Select(static e => e.Call)];
            }
        }

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.DeclaringType is { } type && (type == typeof(IAgentSessionGrain) || type == typeof(IRemindable)))
            {
                lock (gate)
                {
                    log.Add((context.TargetId, $"{type.Name}.{context.InterfaceMethod.Name}"));
                }
            }

            await context.Invoke();
        }
    }
}
