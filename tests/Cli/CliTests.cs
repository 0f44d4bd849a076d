using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using AgentGrains.Tests.Gateway;

namespace AgentGrains.Tests.Cli;

/// <summary>The <c>agentgrains</c> executable against a real silo process: what a user types, what it prints, how it exits.</summary>
[Trait("Category", "Integration")]
[Collection(CliSilo.Collection)]
public sealed class CliTests(CliSilo silo)
{
    private const string ResearchQuestion = "How do idempotency keys and fencing tokens keep tool calls exactly once, and how do reminders wake stalled runs?";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Chat_Calculation_ShowsTheToolCallItsResultAndTheReply()
    {
        var result = await CliProcess.RunAsync(silo.Address, "What is (2+3)*4?\n/exit\n", "chat", "assistant");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("session ", result.Lines[0], StringComparison.Ordinal);
        Assert.EndsWith(" with assistant", result.Lines[0], StringComparison.Ordinal);
        Assert.Equal(
            ["→ tool calculator {\"expression\":\"(2+3)*4\"}", "← tool result 20", "The answer is 20."],
            result.Lines.Skip(1));
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Chat_MessageNeedingApproval_AsksAndSendsItOnYes()
    {
        var sessionId = GatewayHttp.NewSessionId();

        var result = await CliProcess.RunAsync(silo.Address, "Send a message to ada@example.com: hi\ny\n", "chat", "assistant", "--session", sessionId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            [
                $"session {sessionId} with assistant",
                "→ tool send_message {\"to\":\"ada@example.com\",\"text\":\"hi\"}",
                "approve send_message to ada@example.com? [y/n]",
                "✓ send_message approved",
                "← tool result sent to ada@example.com",
                "Your message to ada@example.com was sent.",
            ],
            result.Lines);
        var outbox = await silo.Http.GetFromJsonAsync<JsonElement>("/v1/outbox", Ct);
        Assert.Contains(outbox.GetProperty("messages").EnumerateArray(), m => m.GetProperty("sessionId").GetString() == sessionId && m.GetProperty("text").GetString() == "hi");
    }

    [Fact]
    public async Task Chat_MessageNeedingApproval_DeniedOnNo_NothingIsSent()
    {
        var sessionId = GatewayHttp.NewSessionId();

        var result = await CliProcess.RunAsync(silo.Address, "Send a message to bob@example.com: no way\nmaybe\nn\n", "chat", "assistant", "--session", sessionId);

        Assert.True(result.ExitCode == 0, result.ToString());
        // An answer that is neither yes nor no asks again.
        Assert.Equal(2, result.Lines.Count(static l => l == "approve send_message to bob@example.com? [y/n]"));
        Assert.Contains("✗ send_message denied: denied by a person", result.Lines);
        Assert.Equal("Sorry, that did not work: the call was not run: denied by a person.", result.Lines[^1]);
        var outbox = await silo.Http.GetFromJsonAsync<JsonElement>("/v1/outbox", Ct);
        Assert.DoesNotContain(outbox.GetProperty("messages").EnumerateArray(), m => m.GetProperty("sessionId").GetString() == sessionId);
    }

    [Fact]
    public async Task Chat_InputEndsAtTheApprovalQuestion_SaysHowToDecideLaterAndTheRunWaits()
    {
        var sessionId = GatewayHttp.NewSessionId();

        var result = await CliProcess.RunAsync(silo.Address, "Send a message to eve@example.com: later\n", "chat", "assistant", "--session", sessionId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("approve send_message to eve@example.com? [y/n]", result.Lines[^1]);
        Assert.Contains($"no answer: the run waits; decide with `agentgrains approve {sessionId}~1 call_", result.Errors, StringComparison.Ordinal);
        var run = await silo.Http.GetRunAsync($"{sessionId}~1");
        Assert.Equal("awaiting_approval", run.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Chat_AnswerToTheMessageLost_SentAgainWithTheSameKeyAndTakenOnce()
    {
        var sessionId = GatewayHttp.NewSessionId();
        await using var proxy = DroppingProxy.LoseAnswerTo(silo.Address, $"POST /v1/sessions/{sessionId}/messages");

        var result = await CliProcess.RunAsync(null, "What is (2+3)*4?\n", "chat", "assistant", "--session", sessionId, "--gateway", proxy.Address.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(proxy.Dropped, result.ToString());
        Assert.Contains("; sending the message again with the same Idempotency-Key\n", result.Errors, StringComparison.Ordinal);
        Assert.Equal("The answer is 20.", result.Lines[^1]);
        Assert.Single(result.Lines, static l => l == "← tool result 20");
        var session = await silo.Http.GetFromJsonAsync<JsonElement>($"/v1/sessions/{sessionId}/runs", Ct);
        var run = Assert.Single(session.GetProperty("runs").EnumerateArray());
        Assert.Equal("completed", run.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Chat_SessionOption_ContinuesTheSameConversation()
    {
        var sessionId = GatewayHttp.NewSessionId();

        var first = await CliProcess.RunAsync(silo.Address, "My name is Ada.\n", "chat", "assistant", "--session", sessionId);
        var second = await CliProcess.RunAsync(silo.Address, "What is my name?\n", "chat", "assistant", "--session", sessionId);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("Got it: your name is Ada.", first.Lines[^1]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Ada", second.Lines[^1], StringComparison.Ordinal);
        var session = await silo.Http.GetFromJsonAsync<JsonElement>($"/v1/sessions/{sessionId}", Ct);
        Assert.Equal(4, session.GetProperty("history").GetArrayLength());
    }

    [Fact]
    public async Task Chat_UserOption_RemembersInOneSessionAndRecallsInAnotherSessionOfTheUser()
    {
        var userId = NewUserId("ada");

        var told = await CliProcess.RunAsync(silo.Address, "My name is Ada.\n", "chat", "assistant", "--user", userId);
        var asked = await CliProcess.RunAsync(silo.Address, "What is my name?\n", "chat", "assistant", "--user", userId);

        Assert.True(told.ExitCode == 0, told.ToString());
        Assert.Matches($@"^session \S+ with assistant for user {Escape(userId)}$", told.Lines[0]);
        Assert.Equal(
            ["recalled no facts", "→ tool remember {\"fact\":\"My name is Ada.\"}", "← tool result remembered: My name is Ada.", "Got it: your name is Ada. I'll remember that."],
            told.Lines.Skip(1));
        Assert.True(asked.ExitCode == 0, asked.ToString());
        Assert.NotEqual(told.Lines[0], asked.Lines[0]);
        Assert.Equal(["recalled 1 fact: My name is Ada.", "Your name is Ada."], asked.Lines.Skip(1));
        Assert.Empty(asked.Errors);

        // runs tail prints the recall with how many facts matched.
        var askedSession = asked.Lines[0].Split(' ')[1];
        var tail = await CliProcess.RunAsync(silo.Address, null, "runs", "tail", $"{askedSession}~1");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.Equal("  2 memory.recalled completed (1 of the user's facts match the message): My name is Ada.", tail.Lines[1]);
    }

    [Fact]
    public async Task Chat_SessionOfAnotherUser_ExitsOneWithTheConflictsDetail()
    {
        var sessionId = GatewayHttp.NewSessionId();
        var owner = await CliProcess.RunAsync(silo.Address, string.Empty, "chat", "assistant", "--session", sessionId, "--user", NewUserId("owner"));

        var result = await CliProcess.RunAsync(silo.Address, "hello\n", "chat", "assistant", "--session", sessionId, "--user", NewUserId("intruder"));

        Assert.True(owner.ExitCode == 0, owner.ToString());
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"agentgrains: Session '{sessionId}' already exists for another user; it cannot be created again for this user.\n", result.Errors);
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task Chat_InvalidUser_ExitsOneWithTheValidationDetail()
    {
        var result = await CliProcess.RunAsync(silo.Address, "hello\n", "chat", "assistant", "--user", "bad id");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("agentgrains: userId may contain only A-Z, a-z, 0-9,", result.Errors, StringComparison.Ordinal);
        Assert.Single(result.Errors.Trim().Split('\n'));
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task Memories_ListThenForgetOne_TheFactIsGoneAndForgettingItAgainIsNotFound()
    {
        var userId = NewUserId("ada");
        var told = await CliProcess.RunAsync(silo.Address, "My name is Ada.\n", "chat", "assistant", "--user", userId);
        Assert.True(told.ExitCode == 0, told.ToString());
        var sessionId = told.Lines[0].Split(' ')[1];

        var list = await CliProcess.RunAsync(silo.Address, null, "memories", "list", userId);

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"^\s*id\s.*remembered at\s.*text\s.*session\s*$", list.Lines[0]);
        var row = Assert.Single(list.Lines, static l => l.Contains("My name is Ada.", StringComparison.Ordinal));
        Assert.Matches($@"^\s*\d+\s.*\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ\s.*My name is Ada\.\s.*{Escape(sessionId)}$", row);
        var factId = row.Trim().Split(' ')[0];

        var forget = await CliProcess.RunAsync(silo.Address, null, "memories", "forget", userId, factId);
        var after = await CliProcess.RunAsync(silo.Address, null, "memories", "list", userId);
        var again = await CliProcess.RunAsync(silo.Address, null, "memories", "forget", userId, factId);

        Assert.True(forget.ExitCode == 0, forget.ToString());
        Assert.Equal($"forgot fact {factId} about {userId}\n", forget.Output);
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal($"no facts remembered about {userId}\n", after.Output);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.StartsWith($"agentgrains: User '{userId}' has no fact {factId};", again.Errors, StringComparison.Ordinal);
        Assert.Single(again.Errors.Trim().Split('\n'));
        Assert.Empty(again.Output);
    }

    [Fact]
    public async Task Memories_PagesThenForgetAll_SaysHowManyWereForgotten()
    {
        var userId = NewUserId("grace");
        var told = await CliProcess.RunAsync(silo.Address, "My name is Grace.\nMy favourite colour is green.\n", "chat", "assistant", "--user", userId);
        Assert.True(told.ExitCode == 0, told.ToString());

        var first = await CliProcess.RunAsync(silo.Address, null, "memories", "list", userId, "--limit", "1");
        var more = Assert.Single(first.Lines, static l => l.StartsWith("more: ", StringComparison.Ordinal));
        Assert.StartsWith($"more: agentgrains memories list {userId} --cursor ", more, StringComparison.Ordinal);
        var second = await CliProcess.RunAsync(silo.Address, null, "memories", "list", userId, "--limit", "1", "--cursor", more.Split(' ')[^1]);
        var all = await CliProcess.RunAsync(silo.Address, null, "memories", "forget", userId, "--all");
        var none = await CliProcess.RunAsync(silo.Address, null, "memories", "forget", userId, "--all");

        // Newest first.
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains(first.Lines, static l => l.Contains("My favourite colour is green.", StringComparison.Ordinal));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains(second.Lines, static l => l.Contains("My name is Grace.", StringComparison.Ordinal));
        Assert.DoesNotContain(second.Lines, static l => l.StartsWith("more: ", StringComparison.Ordinal));
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal($"forgot 2 facts about {userId}\n", all.Output);
        Assert.Equal($"forgot 0 facts about {userId}\n", none.Output);
    }

    [Fact]
    public async Task Chat_Research_ShowsSpecialistRunsAndTheReport()
    {
        var result = await CliProcess.RunAsync(silo.Address, ResearchQuestion + "\n", "chat", "research");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(3, result.Lines.Count(static l => l.StartsWith("→ tool searcher ", StringComparison.Ordinal)));
        Assert.Equal(3, result.Lines.Count(static l => l.StartsWith("specialist searcher run ", StringComparison.Ordinal) && l.EndsWith(" completed", StringComparison.Ordinal)));
        Assert.Contains(result.Lines, static l => l.StartsWith("  [searcher] → tool corpus_search ", StringComparison.Ordinal));
        Assert.Contains(result.Lines, static l => l.StartsWith("specialist analyst run ", StringComparison.Ordinal) && l.EndsWith(" completed", StringComparison.Ordinal));
        Assert.Contains("\nReport: " + ResearchQuestion + "\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("[leases-and-fencing]", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunsShow_ResearchRun_ShowsStepsCallsAndTheSearcherAndAnalystRuns()
    {
        var sessionId = await silo.Http.CreateSessionAsync(agent: "research");
        using var response = await silo.Http.SendTextAsync(sessionId, ResearchQuestion);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var runId = $"{sessionId}~1";

        var result = await CliProcess.RunAsync(silo.Address, null, "runs", "show", runId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches($@"^run {Escape(runId)}  research  completed  [\d,]+ tokens \([\d,]+ in, [\d,]+ out\) \+ [\d,]+ by specialists  no price  [\d.]+ m?s$", result.Lines[0]);
        Assert.Contains(result.Lines, static l => l.Contains("step 1  model ", StringComparison.Ordinal));
        Assert.Contains(result.Lines, static l => l.Contains("step 3  model ", StringComparison.Ordinal));
        Assert.Equal(3, result.Lines.Count(static l => l.Contains("searcher {\"query\":", StringComparison.Ordinal) && l.Contains("succeeded  call_", StringComparison.Ordinal)));
        for (var call = 0; call < 3; call++)
        {
            Assert.Contains(result.Lines, l => Regex(l, $@"└── specialist searcher run {Escape(runId)}\.1\.{call}~1  completed  [\d,]+ tokens  on "));
        }

        Assert.Contains(result.Lines, l => Regex(l, $@"└── specialist analyst run {Escape(runId)}\.2\.0~1  completed  [\d,]+ tokens  on "));
        Assert.StartsWith("└── reply: Report: ", result.Lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunsShow_RunWaitingForApproval_ShowsTheWaitingCallAndTheTimeSoFar()
    {
        var sessionId = await silo.Http.CreateSessionAsync();
        var runId = await silo.Http.StartRunAsync(sessionId, "Send a message to dave@example.com: pending");
        await silo.Http.WaitForStatusAsync(runId, "awaiting_approval");
        var callId = await WaitingCallAsync(runId);

        var result = await CliProcess.RunAsync(silo.Address, null, "runs", "show", runId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches($@"^run {Escape(runId)}  assistant  awaiting_approval  [\d,]+ tokens .* so far$", result.Lines[0]);
        Assert.Contains(result.Lines, l => l.EndsWith($"send_message {{\"to\":\"dave@example.com\",\"text\":\"pending\"}}  awaiting_approval  {callId}  risk medium  -", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunsTail_FinishedRun_PrintsEveryEventFromRunStartedToRunFinished()
    {
        var sessionId = await silo.Http.CreateSessionAsync();
        using var response = await silo.Http.SendTextAsync(sessionId, "What is (2+3)*4?");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var result = await CliProcess.RunAsync(silo.Address, null, "runs", "tail", $"{sessionId}~1");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            [
                "  1 run.started What is (2+3)*4?",
                "  2 model.reply → calculator {\"expression\":\"(2+3)*4\"} (step 1, ",
                "  3 tool.result calculator succeeded: 20",
                "  4 model.reply The answer is 20. (step 2, ",
                "  5 run.finished completed: The answer is 20.",
            ],
            result.Lines.Select(static l => l.Contains("model.reply", StringComparison.Ordinal) ? l[..(l.IndexOf("(step ", StringComparison.Ordinal) + 9)] : l));
    }

    [Fact]
    public async Task RunsTail_From_PrintsOnlyTheEventsAfterIt()
    {
        var sessionId = await silo.Http.CreateSessionAsync();
        using var response = await silo.Http.SendTextAsync(sessionId, "What is (2+3)*4?");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var result = await CliProcess.RunAsync(silo.Address, null, "runs", "tail", $"{sessionId}~1", "--from", "3");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["4", "5"], result.Lines.Select(static l => l.TrimStart().Split(' ')[0]));
        Assert.StartsWith("  5 run.finished completed", result.Lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunsTail_RunningRun_FollowsItUntilItFinishes()
    {
        var sessionId = await silo.Http.CreateSessionAsync();
        var runId = await silo.Http.StartRunAsync(sessionId, "Send a message to tail@example.com: wait for me");
        await silo.Http.WaitForStatusAsync(runId, "awaiting_approval");

        var tail = CliProcess.RunAsync(silo.Address, null, "runs", "tail", runId);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.False(tail.IsCompleted, "tail ended while the run was waiting for a person");
        var approved = await CliProcess.RunAsync(silo.Address, null, "approve", runId, await WaitingCallAsync(runId));
        var result = await tail;

        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            ["run.started", "model.reply", "approval.requested", "approval.decided", "tool.result", "model.reply", "run.finished"],
            result.Lines.Select(static l => l.TrimStart().Split(' ')[1]));
        Assert.Equal("  7 run.finished completed: Your message to tail@example.com was sent.", result.Lines[^1]);
    }

    [Fact]
    public async Task RunsTail_StreamDropsMidway_ResumesAfterTheLastEventWithoutGapsOrRepeats()
    {
        var sessionId = await silo.Http.CreateSessionAsync(agent: "research");
        using var response = await silo.Http.SendTextAsync(sessionId, ResearchQuestion);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var runId = $"{sessionId}~1";
        // Past the response headers and the first events, well before the end of the tree's stream.
        await using var proxy = DroppingProxy.CutFirstResponseAfter(silo.Address, bytes: 1500);

        var result = await CliProcess.RunAsync(null, null, "runs", "tail", runId, "--gateway", proxy.Address.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(proxy.Connections >= 2, result.ToString());
        Assert.Contains("the event stream dropped; resuming after event ", result.Errors, StringComparison.Ordinal);
        var direct = await CliProcess.RunAsync(silo.Address, null, "runs", "tail", runId);
        Assert.True(direct.ExitCode == 0, direct.ToString());
        // The same events, once each, in the order the unbroken stream sends them.
        Assert.Equal(direct.Lines, result.Lines);
        Assert.Equal(result.Lines.Count, result.Lines.Distinct().Count());
        Assert.StartsWith("  1 run.started ", result.Lines[0], StringComparison.Ordinal);
        Assert.Contains(" run.finished completed", result.Lines[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("approve", "Your message to carol@example.com was sent.")]
    [InlineData("deny", "Sorry, that did not work: the call was not run: denied by a person.")]
    public async Task ApproveOrDeny_WaitingCall_DecidesItAndTheRunEnds(string command, string reply)
    {
        var sessionId = await silo.Http.CreateSessionAsync();
        var runId = await silo.Http.StartRunAsync(sessionId, "Send a message to carol@example.com: decide me");
        await silo.Http.WaitForStatusAsync(runId, "awaiting_approval");
        var callId = await WaitingCallAsync(runId);

        var result = await CliProcess.RunAsync(silo.Address, null, command, runId, callId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches($@"^{(command == "approve" ? "approved" : "denied")} send_message \({callId}\) in run {Escape(runId)}; the run is (running|completed)\n$", result.Output);
        var run = await silo.Http.WaitForStatusAsync(runId, "completed");
        Assert.Equal(reply, run.GetProperty("reply").GetString());

        var again = await CliProcess.RunAsync(silo.Address, null, command, runId, callId);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.StartsWith("agentgrains: ", again.Errors, StringComparison.Ordinal);
        Assert.Single(again.Errors.Trim().Split('\n'));
    }

    [Fact]
    public async Task Cluster_ListsTheSiloAsActive()
    {
        var result = await CliProcess.RunAsync(silo.Address, null, "cluster");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^\s*silo\s.*address\s.*status\s.*last heartbeat\s.*activations\s*$", result.Lines[0]);
        var row = Assert.Single(result.Lines, static l => l.Contains(" active ", StringComparison.Ordinal));
        Assert.Contains("127.0.0.1:", row, StringComparison.Ordinal);
        Assert.Equal("1 of 1 silos active", result.Lines[^1]);
    }

    [Fact]
    public async Task AgentsAndSessions_ListWhatTheGatewayLists()
    {
        var sessionId = await silo.Http.CreateSessionAsync();

        var agents = await CliProcess.RunAsync(silo.Address, null, "agents");
        var sessions = await CliProcess.RunAsync(silo.Address, null, "sessions", "--agent", "assistant", "--limit", "100");

        Assert.True(agents.ExitCode == 0, agents.ToString());
        Assert.Contains(agents.Lines, static l => Regex(l, @"^\s*assistant\s.*calculator, clock"));
        Assert.Contains(agents.Lines, static l => Regex(l, @"^\s*research\s.*searcher, analyst"));
        Assert.True(sessions.ExitCode == 0, sessions.ToString());
        Assert.Contains(sessions.Lines, l => Regex(l, $@"^\s*{sessionId}\s.*assistant\s.*idle\s.*0\s"));
    }

    [Fact]
    public async Task GatewayDown_ExitsOneSayingHowToStartIt()
    {
        var port = FreePort();

        var result = await CliProcess.RunAsync(null, null, "cluster", "--gateway", $"http://127.0.0.1:{port}");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"agentgrains: cannot reach the gateway at http://127.0.0.1:{port}: connection refused; start it with `dotnet run --project silo` or pass --gateway\n",
            result.Errors);
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task GatewayFromTheEnvironment_IsUsedWithoutTheOption()
    {
        var port = FreePort();

        var result = await CliProcess.RunAsync(new Uri($"http://127.0.0.1:{port}"), "hello\n", "chat", "assistant");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"agentgrains: cannot reach the gateway at http://127.0.0.1:{port}: connection refused", result.Errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("runs", "show", "nope~1")]
    [InlineData("runs", "tail", "nope~1")]
    [InlineData("approve", "nope~1", "call_1")]
    public async Task UnknownRun_ExitsOneWithTheProblemsDetail(params string[] args)
    {
        var result = await CliProcess.RunAsync(silo.Address, null, args);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("agentgrains: Run 'nope~1' does not exist.\n", result.Errors);
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task Chat_UnknownAgent_ExitsOneWithTheProblemsDetail()
    {
        var result = await CliProcess.RunAsync(silo.Address, "hello\n", "chat", "nobody");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("agentgrains: ", result.Errors, StringComparison.Ordinal);
        Assert.Contains("nobody", result.Errors, StringComparison.Ordinal);
        Assert.Single(result.Errors.Trim().Split('\n'));
    }

    [Theory]
    [InlineData]
    [InlineData("runs")]
    [InlineData("runs", "show")]
    [InlineData("approve", "demo~1")]
    [InlineData("frobnicate")]
    [InlineData("cluster", "--gateway", "not a url")]
    [InlineData("memories")]
    [InlineData("memories", "forget", "ada")]
    [InlineData("memories", "forget", "ada", "1", "--all")]
    public async Task Usage_WrongCommandLine_ExitsTwoSayingWhatIsWrong(params string[] args)
    {
        var result = await CliProcess.RunAsync(silo.Address, null, args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("agentgrains: ", result.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("runs")]
    [InlineData("runs", "show")]
    [InlineData("runs", "tail")]
    [InlineData("approve")]
    [InlineData("deny")]
    [InlineData("cluster")]
    [InlineData("sessions")]
    [InlineData("agents")]
    [InlineData("memories")]
    [InlineData("memories", "list")]
    [InlineData("memories", "forget")]
    public async Task Help_EveryCommand_PrintsItsUsageAndExitsZero(params string[] command)
    {
        var result = await CliProcess.RunAsync(null, null, [.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"agentgrains {string.Join(' ', command)}", result.Output, StringComparison.Ordinal);
        Assert.Contains("--gateway <url>", result.Output, StringComparison.Ordinal);
        Assert.Empty(result.Errors);
    }

    private async Task<string> WaitingCallAsync(string runId)
    {
        var run = await silo.Http.GetRunAsync(runId);
        return run.GetProperty("steps").EnumerateArray()
            .SelectMany(static s => s.GetProperty("toolCalls").EnumerateArray())
            .Single(static c => c.GetProperty("status").GetString() == "awaiting_approval")
            .GetProperty("callId").GetString()!;
    }

    /// <summary>A user id of this test's own: the silo is shared, and so would be a user's memory.</summary>
    private static string NewUserId(string name) => $"{name}-{Guid.NewGuid():N}";

    private static string Escape(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    private static bool Regex(string input, string pattern) => System.Text.RegularExpressions.Regex.IsMatch(input, pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
