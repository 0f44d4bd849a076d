using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentGrains.Grains.Agents;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Delegation;

/// <summary>Specialists written as plain code: a typed function that managers call like any other specialist.</summary>
/// <remarks>
/// <para>The function runs as its specialist run's one step, in place of a model call: the request
/// is the run's input, the response (as JSON) is its reply, journaled before the manager sees it. A
/// manager's call therefore has the same durability, events, cancellation and run tree whether the
/// specialist is a model or code.</para>
/// <para>If the silo dies while the function runs, the run's next owner runs it again (nothing was
/// journaled), so the function must be safe to repeat; a function with side effects takes them
/// through a tool of an LLM specialist instead, which gets an idempotency key. A function that
/// throws fails its run, and the manager's model gets a <c>SpecialistFailed</c> tool error.</para>
/// </remarks>
public static class CodeSpecialist
{
    /// <summary>An agent named <paramref name="name"/> that answers each <typeparamref name="TRequest"/> with <paramref name="handler"/>.</summary>
    /// <param name="name">The agent's name, which is also the tool name managers see.</param>
    /// <param name="description">When managers should call it.</param>
    /// <param name="handler">The code: the request, a cancellation token (the run was cancelled or the silo stops), the response.</param>
    /// <param name="timeout">How long a manager waits for one call; default 10 minutes.</param>
    public static AgentDefinition Define<TRequest, TResponse>(
        string name, string description, Func<TRequest, CancellationToken, Task<TResponse>> handler, TimeSpan? timeout = null)
        where TRequest : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new AgentDefinition(name, $"(code) {description}", [])
        {
            Contract = SpecialistContract.For<TRequest, TResponse>(description, timeout),
            ChatClient = new Client<TRequest, TResponse>(name, handler),
            MaxSteps = 1,
        };
    }

    private sealed class Client<TRequest, TResponse>(string name, Func<TRequest, CancellationToken, Task<TResponse>> handler) : IChatClient
        where TRequest : class
    {
        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var input = messages.LastOrDefault(static m => m.Role == ChatRole.User)?.Text
                ?? throw new InvalidOperationException($"specialist '{name}' got no request");
            TRequest request;
            try
            {
                request = JsonSerializer.Deserialize<TRequest>(input, AIJsonUtilities.DefaultOptions)
                    ?? throw new InvalidOperationException($"specialist '{name}' got a null request");
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"specialist '{name}' cannot read its request as {typeof(TRequest).Name}: {ex.Message}", ex);
            }

            var response = await handler(request, cancellationToken).ConfigureAwait(false);
            var text = response is string plain ? plain : JsonSerializer.Serialize(response, AIJsonUtilities.DefaultOptions);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
            {
                ModelId = "code",
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 0, OutputTokenCount = 0, TotalTokenCount = 0 },
            };
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            yield return new ChatResponseUpdate(ChatRole.Assistant, response.Text);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
