using System.ComponentModel;
using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Runs;

/// <summary>A long session costs the same per turn at its end as at its start: nothing written per step grows with the turn number.</summary>
public abstract class LongSessionTests(StorageUnderTest storage) : RunTestBase(storage)
{
    private const int Turns = 1000;
    private const string SessionId = "long";
    private const string GrainId = "agent-session/" + SessionId;

    // Counters and positions in the state and the journal gain a few digits between turn 10 and
    // turn 1000 (run ids, run numbers, history positions): that much growth is expected, no more.
    private const int DigitSlack = 64;

    private static readonly string[] Streams = ["history", "events", "runs"];

    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : LongSessionTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : LongSessionTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task SendAsync_ThousandTurns_WritesPerTurnDoNotGrowWithTheTurnNumber()
    {
        var midRunState = new Dictionary<int, long>();
        var model = new FakeChatClient(async (_, messages, _) =>
        {
            if (messages[^1].Role != ChatRole.Tool)
            {
                return FakeChatClient.ToolCall("call_1", "noop", "{}");
            }

            // The second step of a run: the state row now holds the active run with its first step,
            // the state every step of a run writes.
            var turn = int.Parse(FakeChatClient.LastUserText(messages).AsSpan("turn ".Length), CultureInfo.InvariantCulture);
            if (turn is 10 or Turns)
            {
                midRunState[turn] = await StateSizeAsync();
            }

            return new ChatMessage(ChatRole.Assistant, "done");
        });
        await using var cluster = await StartAsync(services =>
        {
            services.AddSingleton(AgentTool.Create(Noop, "noop"));
            services.AddSingleton(new AgentDefinition("steady", "Call noop, then say done.", ["noop"]));
            services.AddSingleton<IChatClient>(model);
        });
        var session = await CreateSessionAsync(cluster.Grains, SessionId, "steady");

        var written = new Dictionary<int, TurnWrites>();
        for (var turn = 1; turn <= Turns; turn++)
        {
            var measured = turn is 10 or Turns;
            var before = measured ? await MeasureAsync() : null;
            SendResult result;
            // Keyed as a gateway keys every message: each turn also records its key.
            using (IdempotencyKey.Use(string.Create(CultureInfo.InvariantCulture, $"message-{turn:D4}")))
            {
                result = await session.SendAsync(string.Create(CultureInfo.InvariantCulture, $"turn {turn:D4}"));
            }

            Assert.True(result.Status == RunStatus.Completed, $"turn {turn} ended {result.Status} ({result.Reason})");
            if (measured)
            {
                written[turn] = (await MeasureAsync()).Minus(before!);
            }
        }

        var (early, late) = (written[10], written[Turns]);
        Assert.Equal(early.Rows, late.Rows);
        Assert.Equal("1", late.Rows.Split(',')[^1]);
        Assert.Equal(early.StateWrites, late.StateWrites);
        Assert.InRange(late.LogBytes - early.LogBytes, -DigitSlack, DigitSlack);
        Assert.InRange(late.StateBytes - early.StateBytes, -DigitSlack, DigitSlack);
        Assert.InRange(midRunState[Turns] - midRunState[10], -DigitSlack, DigitSlack);
        // The model's input is windowed: the last turn's requests are no longer than the tenth's.
        var requests = model.Requests;
        Assert.Equal(requests[(10 * 2) - 1].Count, requests[^1].Count);
        Assert.Equal(Turns * 4, (await session.GetHistoryAsync()).Count);
    }

    [Fact]
    public async Task SendAsync_ThousandTurnsWithARunningSummary_WritesPerTurnDoNotGrowWithTheTurnNumber()
    {
        // A 20-message window and a summary each 20 messages out of it: four messages a turn, so turns
        // 11, 16, ... 996 summarize first and the others do not. Each kind is compared with its own,
        // once the session has a summary (turn 11 makes the first: it has no previous one to send).
        (int Early, int Late)[] pairs = [(15, Turns), (16, 996)];
        var measuredTurns = pairs.SelectMany(static p => new[] { p.Early, p.Late }).ToHashSet();
        var summaryRequests = new Dictionary<int, int>();
        var turnOf = 0;
        var model = new FakeChatClient((_, messages) =>
        {
            if (SummaryRequest.IsRequest(messages, null, out var maxLength))
            {
                summaryRequests[Volatile.Read(ref turnOf)] = messages[^1].Text.Length;
                // Longer than allowed: the journal keeps it cut to SummaryMaxLength.
                return new ChatMessage(ChatRole.Assistant, string.Concat(Enumerable.Repeat("The user counts turns. ", (maxLength / 10) + 1)) + messages[^1].Text.Length.ToString(CultureInfo.InvariantCulture));
            }

            return messages[^1].Role != ChatRole.Tool
                ? FakeChatClient.ToolCall("call_1", "noop", "{}")
                : new ChatMessage(ChatRole.Assistant, "done");
        });
        await using var cluster = await StartAsync(services =>
        {
            services.AddSingleton(AgentTool.Create(Noop, "noop"));
            services.AddSingleton(new AgentDefinition("summarizing", "Call noop, then say done.", ["noop"]) { SummarizeAfter = 20, SummaryMaxLength = 400 });
            services.AddSingleton<IChatClient>(model);
        });
        var session = await CreateSessionAsync(cluster.Grains, SessionId, "summarizing");

        var written = new Dictionary<int, TurnWrites>();
        for (var turn = 1; turn <= Turns; turn++)
        {
            Volatile.Write(ref turnOf, turn);
            var measured = measuredTurns.Contains(turn);
            var before = measured ? await MeasureAsync() : null;
            var result = await session.SendAsync(string.Create(CultureInfo.InvariantCulture, $"turn {turn:D4}"));
            Assert.True(result.Status == RunStatus.Completed, $"turn {turn} ended {result.Status} ({result.Reason})");
            if (measured)
            {
                written[turn] = (await MeasureAsync()).Minus(before!);
            }
        }

        // One summary per 20 messages out of the window, each asked with the same bounded request.
        Assert.Equal(Enumerable.Range(0, 198).Select(static i => 11 + (5 * i)), summaryRequests.Keys.Order());
        Assert.InRange(summaryRequests[996] - summaryRequests[16], -DigitSlack, DigitSlack);
        foreach (var (early, late) in pairs)
        {
            Assert.Equal(written[early].Rows, written[late].Rows);
            Assert.Equal(written[early].StateWrites, written[late].StateWrites);
            Assert.InRange(written[late].LogBytes - written[early].LogBytes, -DigitSlack, DigitSlack);
            Assert.InRange(written[late].StateBytes - written[early].StateBytes, -DigitSlack, DigitSlack);
        }

        // A summarizing turn journals one more state write and its summary.updated event.
        Assert.Equal(written[15].StateWrites + 1, written[16].StateWrites);
    }

    private async Task<long> StateSizeAsync() =>
        Convert.ToInt64(await Storage.ScalarAsync($"SELECT LENGTH(payload) FROM grain_state WHERE grain_id = '{GrainId}' AND name = 'session'"), CultureInfo.InvariantCulture);

    private async Task<TurnWrites> MeasureAsync()
    {
        var rows = new List<long>();
        var bytes = 0L;
        foreach (var stream in Streams)
        {
            var where = $"FROM grain_log WHERE grain_id = '{GrainId}' AND stream = '{stream}'";
            rows.Add(Convert.ToInt64(await Storage.ScalarAsync($"SELECT COUNT(*) {where}"), CultureInfo.InvariantCulture));
            bytes += Convert.ToInt64(await Storage.ScalarAsync($"SELECT COALESCE(SUM(LENGTH(payload)), 0) {where}"), CultureInfo.InvariantCulture);
        }

        var keys = $"FROM message_keys WHERE grain_id = '{GrainId}'";
        rows.Add(Convert.ToInt64(await Storage.ScalarAsync($"SELECT COUNT(*) {keys}"), CultureInfo.InvariantCulture));
        bytes += Convert.ToInt64(await Storage.ScalarAsync($"SELECT COALESCE(SUM(LENGTH(key) + LENGTH(request) + LENGTH(outcome)), 0) {keys}"), CultureInfo.InvariantCulture);

        var version = Convert.ToInt64(await Storage.ScalarAsync($"SELECT version FROM grain_state WHERE grain_id = '{GrainId}' AND name = 'session'"), CultureInfo.InvariantCulture);
        return new TurnWrites(string.Join(",", rows), bytes, version, await StateSizeAsync());
    }

    [Description("Does nothing.")]
    private static string Noop() => "ok";

    /// <summary>What one turn wrote: rows appended per log stream and message keys recorded, their bytes, state writes, and the state's size after it.</summary>
    private sealed record TurnWrites(string Rows, long LogBytes, long StateWrites, long StateBytes)
    {
        public TurnWrites Minus(TurnWrites before) => new(
            string.Join(",", Rows.Split(',').Zip(before.Rows.Split(','), (a, b) => long.Parse(a, CultureInfo.InvariantCulture) - long.Parse(b, CultureInfo.InvariantCulture))),
            LogBytes - before.LogBytes,
            StateWrites - before.StateWrites,
            StateBytes);
    }
}
