using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Gateway;

/// <summary>A model scripted per run, so tests sharing one gateway never see each other's replies.</summary>
/// <remarks>
/// A test registers a script under the user message that starts its run (a unique text). The step
/// passed to the script counts the assistant messages after that user message: 0 for the run's first
/// model call, 1 after the first reply, and so on, also when a resumed run asks again. Messages with
/// no script are answered at once with <c>echo: {text}</c>. Every reply reports
/// <see cref="InputTokensPerCall"/> and <see cref="OutputTokensPerCall"/>.
/// </remarks>
public sealed class RunScriptModel : IChatClient
{
    public const long InputTokensPerCall = 12;

    public const long OutputTokensPerCall = 5;

    private readonly ConcurrentDictionary<string, Func<int, IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatMessage>>> scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Text, int Step, IReadOnlyList<ChatMessage> Messages)> calls = new();

    public static string Echo(string text) => $"echo: {text}";

    public void On(string userText, Func<int, IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatMessage>> reply) => scripts[userText] = reply;

    public void On(string userText, Func<int, IReadOnlyList<ChatMessage>, ChatMessage> reply) =>
        On(userText, (step, messages, _) => Task.FromResult(reply(step, messages)));

    /// <summary>The requests made for runs started by <paramref name="userText"/>, in order, with their step.</summary>
    public IReadOnlyList<(int Step, IReadOnlyList<ChatMessage> Messages)> CallsFor(string userText) =>
        [.. calls.Where(c => string.Equals(c.Text, userText, StringComparison.Ordinal)).Select(static c => (c.Step, c.Messages))];

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ChatMessage> request = [.. messages];
        var user = request.Count - 1;
        while (user >= 0 && request[user].Role != ChatRole.User)
        {
            user--;
        }

        var text = user >= 0 ? request[user].Text : string.Empty;
        var step = request.Skip(user + 1).Count(static m => m.Role == ChatRole.Assistant);
        calls.Enqueue((text, step, request));
        var reply = scripts.TryGetValue(text, out var script)
            ? await script(step, request, cancellationToken)
            : new ChatMessage(ChatRole.Assistant, Echo(text));
        return new ChatResponse(reply)
        {
            Usage = new UsageDetails { InputTokenCount = InputTokensPerCall, OutputTokenCount = OutputTokensPerCall },
        };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The session grain does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
