using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AgentGrains.Grains.Models;

/// <summary>A model behind an OpenAI-compatible chat completions API (OpenAI, Azure OpenAI's v1 endpoint, vLLM, Ollama…).</summary>
/// <remarks>
/// <para>The messages, options, replies, tool calls and token usage are mapped by Microsoft.Extensions.AI.OpenAI
/// (<c>AsIChatClient()</c> over the OpenAI SDK's chat client). This class adds what a durable run needs around it.</para>
/// <para>Each call is one <c>POST {BaseUrl}/chat/completions</c>, retried on transient failures
/// (HTTP 408, 429, 500, 502, 503, 504, connection failures, per-attempt timeouts) with exponential
/// backoff and jitter, honouring <c>Retry-After</c> up to <see cref="ModelOptions.MaxRetryDelay"/>.
/// The OpenAI SDK's own retries are off, so the provider sees exactly <c>1 + retries</c> requests.
/// Permanent failures (400, 401, 403, 404, 422, a 429 for exhausted quota…) and exhausted retries
/// throw <see cref="ModelException"/>; caller cancellation throws <see cref="OperationCanceledException"/>
/// and is never retried.</para>
/// <para>Tool calls whose arguments are not valid JSON come back as a <see cref="FunctionCallContent"/>
/// with <see cref="FunctionCallContent.Exception"/> set, so the agent loop can tell the model instead of failing the turn.
/// A refusal comes back as the reply's text, so the user sees why there is no answer.</para>
/// </remarks>
public sealed partial class OpenAIChatClient : IChatClient
{
    // Sent when BaseUrl points at a server that needs no key: the SDK refuses an empty credential.
    private const string PlaceholderApiKey = "unused";

    private static readonly Uri OpenAIEndpoint = new("https://api.openai.com/v1");

    private readonly ModelOptions options;
    private readonly OpenAIClient client;
    private readonly ResiliencePipeline pipeline;
    private readonly ILogger logger;
    private readonly ChatClientMetadata metadata;
    private readonly ConcurrentDictionary<string, IChatClient> chatClients = new(StringComparer.Ordinal);

    /// <summary>Creates the client.</summary>
    /// <param name="options">The model settings; <see cref="ModelOptions.Name"/> is required, <see cref="ModelOptions.Provider"/> is not read.</param>
    /// <param name="timeProvider">The clock for retry delays and per-attempt timeouts.</param>
    /// <param name="logger">Where retries are logged.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem and how to fix it.</exception>
    public OpenAIChatClient(ModelOptions options, TimeProvider timeProvider, ILogger<OpenAIChatClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var failures = ModelOptionsValidator.Check(options, ModelProvider.OpenAI);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }

        this.options = options;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
        var endpoint = options.BaseUrl ?? OpenAIEndpoint;
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            // Retries are ours (Polly, below): with the SDK's on too, one call could reach the
            // provider (1 + MaxRetries) * 4 times and its delays would not be on our clock.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = options.RequestTimeout,
        };
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? PlaceholderApiKey : options.ApiKey;
        client = new OpenAIClient(new ApiKeyCredential(key), clientOptions);
        metadata = new ChatClientMetadata("openai", endpoint, options.Name);
        pipeline = BuildPipeline(options, timeProvider);
    }

    /// <summary>The embedding generator <c>Model:EmbeddingModel</c> names, on the same API and key as the chat model; null when it names none or the provider is not OpenAI.</summary>
    /// <remarks>The OpenAI SDK's own retries (a few, with backoff) apply: an embedding that still fails only makes its fact or recall rank by words.</remarks>
    public static IEmbeddingGenerator<string, Embedding<float>>? CreateEmbeddingGenerator(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider != ModelProvider.OpenAI || string.IsNullOrWhiteSpace(options.EmbeddingModel))
        {
            return null;
        }

        var clientOptions = new OpenAIClientOptions { Endpoint = options.BaseUrl ?? OpenAIEndpoint, NetworkTimeout = options.RequestTimeout };
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? PlaceholderApiKey : options.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).GetEmbeddingClient(options.EmbeddingModel).AsIEmbeddingGenerator();
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        // A request's ModelId picks the model; the SDK's chat client is bound to one, so there is one per model.
        var model = options?.ModelId is { Length: > 0 } requested ? requested : this.options.Name!;
        var chat = chatClients.GetOrAdd(model, name => client.GetChatClient(name).AsIChatClient());
        // Every attempt sends the same messages: enumerate them once.
        var request = messages as IReadOnlyCollection<ChatMessage> ?? [.. messages];
        var attempts = 0;
        try
        {
            var response = await pipeline.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    return await chat.GetResponseAsync(request, options, token).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
            return ShowRefusals(response);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception) when (IsProviderFailure(exception))
        {
            throw ToModelException(exception, model, attempts);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The whole reply comes as one update, once it is complete: the call is the non-streaming one.
    /// A run journals whole replies, and a retry after part of a stream had been handed out would
    /// hand out that part twice; one non-streaming request keeps retries exact.
    /// </remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return metadata;
        }

        if (serviceType == typeof(OpenAIClient))
        {
            return client;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing to release: the SDK's pipeline uses a shared HttpClient.
    }

    // The adapter reports a refusal (what the model says instead of an answer) as ErrorContent,
    // which is not part of the reply's text; the user should see it, so it becomes text.
    private static ChatResponse ShowRefusals(ChatResponse response)
    {
        foreach (var message in response.Messages)
        {
            for (var i = 0; i < message.Contents.Count; i++)
            {
                if (message.Contents[i] is ErrorContent { ErrorCode: "Refusal" } refusal)
                {
                    message.Contents[i] = new TextContent(refusal.Message) { RawRepresentation = refusal };
                }
            }
        }

        return response;
    }

    private ResiliencePipeline BuildPipeline(ModelOptions settings, TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (settings.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = settings.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryBaseDelay,
                MaxDelay = settings.MaxRetryDelay,
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && IsTransient(e, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult(
                    RetryAfter(args.Outcome.Exception, timeProvider) is { } wait ? Min(wait, settings.MaxRetryDelay) : (TimeSpan?)null),
                OnRetry = args =>
                {
                    var (status, reason) = Describe(args.Outcome.Exception);
                    LogRetry(logger, status, reason, args.AttemptNumber + 1, settings.MaxRetries + 1, (long)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }

        // Inside the retry, so each attempt gets the whole timeout. The SDK's NetworkTimeout is the
        // same length; this one runs on the TimeProvider, so tests can move time.
        builder.AddTimeout(new TimeoutStrategyOptions { Timeout = settings.RequestTimeout });
        return builder.Build();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
