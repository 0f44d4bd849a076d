using AgentGrains.Grains.Agents;
using AgentGrains.GrainInterfaces.Memory;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Tests.Grains.Runs;
using AgentGrains.Tests.Infrastructure;
using Orleans;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Grains.Memory;

/// <summary>Long-term memory across sessions: the built-in assistant (offline model) remembers what a user says in one session and uses it in the user's others.</summary>
public abstract class MemoryTests(StorageUnderTest storage) : RunTestBase(storage)
{
    [Trait("Category", "Integration")]
    [Trait("Provider", "Sqlite")]
    public sealed class Sqlite() : MemoryTests(StorageUnderTest.Sqlite())
    {
    }

    [Trait("Category", "Integration")]
    [Trait("Provider", "Postgres")]
    public sealed class Postgres() : MemoryTests(StorageUnderTest.Postgres())
    {
    }

    [Fact]
    public async Task FactToldInOneSession_IsUsedInAnotherSessionOfTheSameUserOnAnotherSilo_AndNeverByAnotherUser()
    {
        await using var cluster = await StartAsync(silos: 2);
        var told = await CreateOnAsync(cluster, cluster.Cluster.Silos[0], "told", "ada");
        var reply = await SendAsync(told, "My name is Ada.");
        Assert.Equal("Got it: your name is Ada. I'll remember that.", reply.Reply);

        var asked = await CreateOnAsync(cluster, cluster.Cluster.Silos[1], "asked", "ada");
        Assert.NotEqual(cluster.SiloOf(told)!.SiloAddress, cluster.SiloOf(asked)!.SiloAddress);
        var answer = await SendAsync(asked, "What is my name?");
        Assert.Equal("Your name is Ada.", answer.Reply);
        // The fact came from memory, recalled and journaled before the model call, not from this session's history.
        var recalled = Assert.Single((await asked.GetRunEventsAsync(answer.RunId, 0, TimeSpan.Zero)).Events, static e => e.Type == RunEventTypes.MemoryRecalled);
        Assert.Equal("My name is Ada.", recalled.Text);
        Assert.Equal(2, (await asked.GetHistoryAsync()).Count);

        // Another user, on either silo: nothing of Ada's, in the context or through recall.
        foreach (var silo in cluster.Cluster.Silos)
        {
            var other = await CreateOnAsync(cluster, silo, $"other-{silo.InstanceNumber}", "grace");
            var otherAnswer = await SendAsync(other, "What is my name?");
            Assert.Equal("I don't know what your name is.", otherAnswer.Reply);
            var events = (await other.GetRunEventsAsync(otherAnswer.RunId, 0, TimeSpan.Zero)).Events;
            Assert.Equal(string.Empty, Assert.Single(events, static e => e.Type == RunEventTypes.MemoryRecalled).Text);
            Assert.Contains(events, static e => e.Type == RunEventTypes.ToolResult && e.Call!.Name == "recall" && e.Text!.StartsWith("nothing remembered", StringComparison.Ordinal));
        }

        var ada = await cluster.Grains.GetGrain<IUserMemoryGrain>("ada").ListAsync(0, 10);
        var fact = Assert.Single(ada.Facts);
        Assert.Equal(("My name is Ada.", told.GetPrimaryKeyString(), reply.RunId, 1), (fact.Text, fact.SessionId, fact.RunId, fact.Step));
        Assert.Empty((await cluster.Grains.GetGrain<IUserMemoryGrain>("grace").ListAsync(0, 10)).Facts);
        Assert.False(await cluster.Grains.GetGrain<IUserMemoryGrain>("grace").DeleteAsync(fact.Id));
        Assert.Single((await cluster.Grains.GetGrain<IUserMemoryGrain>("ada").ListAsync(0, 10)).Facts);
    }

    [Fact]
    public async Task DeletedFact_IsInNoLaterContext()
    {
        await using var cluster = await StartAsync();
        var told = await CreateAsync(cluster.Grains, "told", "ada");
        await SendAsync(told, "My favourite colour is green.");
        var memory = cluster.Grains.GetGrain<IUserMemoryGrain>("ada");
        var fact = Assert.Single((await memory.ListAsync(0, 10)).Facts);

        var before = await CreateAsync(cluster.Grains, "before", "ada");
        Assert.Equal("Your favourite colour is green.", (await SendAsync(before, "What is my favourite colour?")).Reply);

        Assert.True(await memory.DeleteAsync(fact.Id));
        Assert.Empty((await memory.ListAsync(0, 10)).Facts);
        Assert.False(await memory.DeleteAsync(fact.Id));

        // A later message, in a new session and in the one that answered before.
        var after = await CreateAsync(cluster.Grains, "after", "ada");
        Assert.Equal("I don't know what your favourite colour is.", (await SendAsync(after, "What is my favourite colour?")).Reply);
        var again = await SendAsync(before, "And what is my favourite colour?");
        var recalled = (await before.GetRunEventsAsync(again.RunId, 0, TimeSpan.Zero)).Events.Single(static e => e.Type == RunEventTypes.MemoryRecalled);
        Assert.Equal(string.Empty, recalled.Text);
    }

    [Fact]
    public async Task SessionWithoutUser_HasNoMemory_AndIsNotOfferedItsTools()
    {
        await using var cluster = await StartAsync();
        var session = await CreateAsync(cluster.Grains, "anonymous", userId: null);
        Assert.Null((await session.GetInfoAsync())!.UserId);

        var reply = await SendAsync(session, "My name is Ada.");

        // Acknowledged as before memory existed: no remember call, no recall, nothing stored.
        Assert.Equal("Got it: your name is Ada.", reply.Reply);
        var events = (await session.GetRunEventsAsync(reply.RunId, 0, TimeSpan.Zero)).Events;
        Assert.DoesNotContain(events, static e => e.Type is RunEventTypes.MemoryRecalled or RunEventTypes.ToolResult);
    }

    [Fact]
    public async Task CreateAsync_KeepsTheUser_AndRefusesAnotherUserOrAnInvalidId()
    {
        await using var cluster = await StartAsync();
        var session = await CreateAsync(cluster.Grains, "owned", "ada");

        var again = await session.CreateAsync(BuiltInAgents.AssistantName, "ada");
        Assert.Equal((false, "ada"), (again.Created, again.UserId));
        Assert.Equal("ada", (await session.GetAsync())!.UserId);
        await Assert.ThrowsAsync<SessionConflictException>(() => session.CreateAsync(BuiltInAgents.AssistantName, "grace"));
        await Assert.ThrowsAsync<SessionConflictException>(() => session.CreateAsync(BuiltInAgents.AssistantName));

        var bad = cluster.Grains.GetGrain<IAgentSessionGrain>("bad-user");
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => bad.CreateAsync(BuiltInAgents.AssistantName, "ada lovelace"));
        Assert.Contains("userId may contain only", refused.Message, StringComparison.Ordinal);
        Assert.Null(await bad.GetInfoAsync());
    }

    private static async Task<IAgentSessionGrain> CreateAsync(IGrainFactory grains, string id, string? userId)
    {
        var session = grains.GetGrain<IAgentSessionGrain>(id);
        var created = await session.CreateAsync(BuiltInAgents.AssistantName, userId);
        Assert.Equal((true, userId), (created.Created, created.UserId));
        return session;
    }

    /// <summary>Creates a session of <paramref name="userId"/> activated on <paramref name="silo"/> (a placement hint on its first call).</summary>
    private static async Task<IAgentSessionGrain> CreateOnAsync(SessionCluster cluster, InProcessSiloHandle silo, string id, string userId)
    {
        var session = cluster.Grains.GetGrain<IAgentSessionGrain>(id);
        var created = await cluster.ActivateOnAsync(silo, session, () => session.CreateAsync(BuiltInAgents.AssistantName, userId));
        Assert.Equal((true, userId), (created.Created, created.UserId));
        return session;
    }

    private static async Task<SendResult> SendAsync(IAgentSessionGrain session, string text)
    {
        var result = await session.SubmitAndWaitAsync(text, WaitLimit);
        Assert.True(result.Status == RunStatus.Completed, $"The run ended {result.Status}: {result.Reason}");
        return result;
    }
}
