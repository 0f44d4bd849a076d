using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Grains.Delegation;

/// <summary>
/// A deterministic model for <see cref="FakeOpenAIServer.DefaultResponder"/> that plays every agent of
/// <see cref="DelegationAgents"/>: managers call the specialists their task names, workers do their task.
/// </summary>
/// <remarks>
/// <para>The agent is the first word of the system prompt (<c>agent:NAME</c>). Its task is the user
/// message, or the <c>task</c> of a specialist request (<c>{"task":"..."}</c>). A task whose every word
/// names a tool offered (<c>worker</c>, or <c>worker=sub,task</c> to hand the specialist the task
/// <c>sub task</c>) is a manager's: step 1 calls them all in one reply (call i gets task
/// <c>part i</c> unless one is given), step 2 answers <c>done: </c> and the results. Any other task is
/// a worker's: it answers <c>did TASK</c>. Every reply reports 90 input and 10 output tokens.</para>
/// </remarks>
public sealed class DelegationScript
{
    /// <summary>Tokens every reply reports: 100 in all.</summary>
    public static readonly FakeUsage Usage = new(90, 10);

    private readonly ConcurrentDictionary<string, int> hangOnce = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> holds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> hangAlways = new(StringComparer.Ordinal);

    /// <summary>The next request of a worker doing <paramref name="task"/> hangs until its client gives up.</summary>
    public void HangOnce(string task) => hangOnce.AddOrUpdate(task, 1, static (_, n) => n + 1);

    /// <summary>Every request of agent <paramref name="agent"/> hangs until its client gives up.</summary>
    public void HangAlways(string agent) => hangAlways[agent] = true;

    /// <summary>A worker's answer to <paramref name="task"/> waits for <paramref name="release"/>.</summary>
    public void Hold(string task, Task release) => holds[task] = release;

    /// <summary>The agent a request is for.</summary>
    public static string AgentOf(FakeChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var system = request.Messages.FirstOrDefault(static m => m.Role == "system")?.Content ?? string.Empty;
        var first = system.Split(' ', 2)[0];
        return first.StartsWith("agent:", StringComparison.Ordinal) ? first["agent:".Length..] : "?";
    }

    /// <summary>The task a request works on.</summary>
    public static string TaskOf(FakeChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = request.Messages[LastUser(request)].Content ?? string.Empty;
        if (text.StartsWith('{'))
        {
            using var json = JsonDocument.Parse(text);
            return json.RootElement.GetProperty("task").GetString() ?? string.Empty;
        }

        return text;
    }

    public FakeResponse Respond(FakeChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var agent = AgentOf(request);
        var task = TaskOf(request);
        var user = LastUser(request);
        var step = 1 + request.Messages.Skip(user + 1).Count(static m => m.Role == "assistant");
        var offered = request.Tools.Select(static t => t.Name).ToHashSet(StringComparer.Ordinal);
        var words = task.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > 0 && words.All(w => offered.Contains(w.Split('=', 2)[0])))
        {
            if (step == 1)
            {
                return FakeResponse.Calls(
                    [.. words.Select((word, i) =>
                    {
                        var parts = word.Split('=', 2);
                        var sub = parts.Length == 2 ? parts[1].Replace(',', ' ') : string.Create(CultureInfo.InvariantCulture, $"part {i + 1}");
                        return new FakeToolCall(parts[0], JsonSerializer.Serialize(new { task = sub }), string.Create(CultureInfo.InvariantCulture, $"call_{i + 1}"));
                    })],
                    Usage);
            }

            var results = request.Messages.Skip(user + 1).Where(static m => m.Role == "tool").Select(static m => m.Content);
            return FakeResponse.Text("done: " + string.Join(" | ", results), Usage);
        }

        if (hangAlways.ContainsKey(agent))
        {
            return FakeResponse.Hang();
        }

        if (hangOnce.TryGetValue(task, out var left) && left > 0 && hangOnce.TryUpdate(task, left - 1, left))
        {
            return FakeResponse.Hang();
        }

        var reply = FakeResponse.Text($"did {task}", Usage);
        return holds.TryGetValue(task, out var release) ? reply.HeldUntil(release) : reply;
    }

    private static int LastUser(FakeChatRequest request)
    {
        for (var i = request.Messages.Count - 1; i >= 0; i--)
        {
            if (request.Messages[i].Role == "user")
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Request {request.Number} has no user message.");
    }
}
