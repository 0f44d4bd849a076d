using System.Globalization;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Fault;

/// <summary>
/// A deterministic model for <see cref="FakeOpenAIServer.DefaultResponder"/>: the reply depends only
/// on the conversation sent, so a run resumed after a crash gets exactly the replies a crash-free run gets.
/// </summary>
/// <remarks>
/// <para>The last user message lists the calls to make, one word each: <c>charge</c>,
/// <c>transfer</c>, <c>calculator</c> (6*7), <c>charge:bad</c> (an amount that violates the schema) or any other word (a
/// tool that does not exist); words starting with <c>#</c> only tell messages apart. Step n of the
/// run (n − 1 assistant messages after the user's) calls the n-th word with id <c>call_n</c> and
/// amount n; after the last word it answers <c>done: </c> and the tool results it was sent.</para>
/// <para><see cref="HangOnce"/> makes the next request for a given step hang instead (the server
/// holds it until the client gives up); <see cref="HoldStep"/> holds every request for a step until
/// the test releases them.</para>
/// </remarks>
public sealed class ToolScriptResponder
{
    private readonly Lock gate = new();
    private readonly List<int> hangs = [];
    private readonly Dictionary<int, Task> holds = [];

    /// <summary>The next request for step <paramref name="step"/> (of any run) hangs; call again for more.</summary>
    public void HangOnce(int step)
    {
        lock (gate)
        {
            hangs.Add(step);
        }
    }

    /// <summary>Requests for step <paramref name="step"/> (of any run) are answered only once <paramref name="release"/> completes, or never if their client gives up first.</summary>
    public void HoldStep(int step, Task release)
    {
        lock (gate)
        {
            holds[step] = release;
        }
    }

    /// <summary>The step a request is for: 1 + the assistant messages after the last user message.</summary>
    public static int StepOf(FakeChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var user = LastUser(request);
        return 1 + request.Messages.Skip(user + 1).Count(static m => m.Role == "assistant");
    }

    /// <summary>What a request asked, for comparing requests: every message's role, text, call id and calls.</summary>
    public static string Conversation(FakeChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Join("\n", request.Messages.Select(static m =>
            $"{m.Role}|{m.Content}|{m.ToolCallId}|{string.Join(",", m.ToolCalls.Select(static c => $"{c.Id}:{c.Name}:{c.Arguments}"))}"));
    }

    public FakeResponse Respond(FakeChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var step = StepOf(request);
        Task? hold;
        lock (gate)
        {
            if (hangs.Remove(step))
            {
                return FakeResponse.Hang();
            }

            hold = holds.GetValueOrDefault(step);
        }

        var response = Answer(request, step);
        return hold is { IsCompleted: false } ? response.HeldUntil(hold) : response;
    }

    private static FakeResponse Answer(FakeChatRequest request, int step)
    {
        var user = LastUser(request);
        var words = (request.Messages[user].Content ?? string.Empty)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(static w => !w.StartsWith('#'))
            .ToList();
        var usage = new FakeUsage(100, 10);
        if (step > words.Count)
        {
            var results = request.Messages.Skip(user + 1).Where(static m => m.Role == "tool").Select(static m => m.Content);
            return FakeResponse.Text("done: " + string.Join(" | ", results), usage);
        }

        var id = string.Create(CultureInfo.InvariantCulture, $"call_{step}");
        var amount = string.Create(CultureInfo.InvariantCulture, $$"""{"amount":{{step}}}""");
        return words[step - 1] switch
        {
            PaymentTools.Charge => FakeResponse.Call(PaymentTools.Charge, amount, id, usage),
            PaymentTools.Transfer => FakeResponse.Call(PaymentTools.Transfer, amount, id, usage),
            "charge:bad" => FakeResponse.Call(PaymentTools.Charge, """{"amount":"a lot"}""", id, usage),
            "calculator" => FakeResponse.Call("calculator", """{"expression":"6*7"}""", id, usage),
            var unknown => FakeResponse.Call(unknown, "{}", id, usage),
        };
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
