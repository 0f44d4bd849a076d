namespace AgentGrains.Grains.Models;

/// <summary>Which model answers agent sessions and how it is called, bound from the <c>Model</c> configuration section.</summary>
/// <remarks>
/// <para>With the defaults the offline <see cref="ScriptedChatClient"/> answers. <c>Model:Provider=OpenAI</c>
/// selects <see cref="OpenAIChatClient"/>, which needs <see cref="Name"/> and, unless <see cref="BaseUrl"/>
/// points at a server that needs none, an API key.</para>
/// <para>The API key is a secret: it is never logged and never part of an error message.</para>
/// </remarks>
public sealed class ModelOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Model";

    /// <summary>The configuration key (and, in a default host, the environment variable) <see cref="ApiKey"/> falls back to.</summary>
    public const string ApiKeyFallbackKey = "OPENAI_API_KEY";

    /// <summary>Which model answers; default <see cref="ModelProvider.Scripted"/>.</summary>
    public ModelProvider Provider { get; set; } = ModelProvider.Scripted;

    /// <summary>The model id sent with each request, e.g. <c>gpt-4o-mini</c>; required for <see cref="ModelProvider.OpenAI"/>.</summary>
    /// <remarks>A request's <c>ChatOptions.ModelId</c> overrides it.</remarks>
    public string? Name { get; set; }

    /// <summary>The embedding model id for long-term memory's hybrid recall, e.g. <c>text-embedding-3-small</c>; null (default) for full-text ranking alone.</summary>
    /// <remarks>
    /// Needs <see cref="ModelProvider.OpenAI"/>: embeddings come from the same API (<c>{BaseUrl}/embeddings</c>,
    /// with the same key). Each remembered fact is embedded once, and each recall embeds its query.
    /// </remarks>
    public string? EmbeddingModel { get; set; }

    /// <summary>The API's base address including its version segment; default: OpenAI's <c>https://api.openai.com/v1</c>.</summary>
    /// <remarks>
    /// Any OpenAI-compatible chat completions server works: vLLM (<c>http://host:8000/v1</c>), Ollama
    /// (<c>http://localhost:11434/v1</c>), Azure OpenAI's v1 endpoint (<c>https://NAME.openai.azure.com/openai/v1</c>).
    /// The client posts to <c>{BaseUrl}/chat/completions</c>.
    /// </remarks>
    public Uri? BaseUrl { get; set; }

    /// <summary>The API key sent as a bearer token; default: the <c>OPENAI_API_KEY</c> configuration key or environment variable.</summary>
    /// <remarks>
    /// Required for OpenAI itself. With <see cref="BaseUrl"/> set it may be left empty for servers that
    /// need no key; a placeholder is then sent. Never logged.
    /// </remarks>
    public string? ApiKey { get; set; }

    /// <summary>How long one attempt (one HTTP request) may take before it is abandoned and retried; default 60 seconds.</summary>
    /// <remarks>
    /// <para>A long completion from a hosted model takes tens of seconds, so 60 seconds leaves room for
    /// one while a request that hangs (a stalled connection, an overloaded server that never answers)
    /// is given up within a minute and sent again.</para>
    /// <para>It bounds one attempt; an agent's <c>ModelTimeout</c> bounds all attempts of one model call
    /// and must hold two attempts and the longest wait between them
    /// (<c>2 × RequestTimeout + MaxRetryDelay</c>, 140 seconds with the defaults against the default
    /// <c>ModelTimeout</c> of 3 minutes). The host refuses to start when an agent's does not, since a
    /// hung attempt would then fail the run instead of being retried.</para>
    /// </remarks>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a transient failure (429, 5xx, timeout, connection failure) is retried; default 4.</summary>
    /// <remarks>
    /// The provider sees at most <c>1 + MaxRetries</c> requests per model call, and fewer when the
    /// agent's <c>ModelTimeout</c> ends the call first: quick failures (a 429, a 503) use few of its
    /// seconds, hung attempts many. 0 disables retries.
    /// </remarks>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first retry's delay before jitter; each later retry doubles it; default 500 milliseconds.</summary>
    /// <remarks>Short, because most transient failures (a dropped connection, a hung request, a brief 503) clear at once.</remarks>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait before a retry, including one the provider asked for with <c>Retry-After</c>; default 20 seconds.</summary>
    /// <remarks>
    /// Long enough to honour the usual rate-limit windows of hosted providers; counted once in the
    /// room an agent's <c>ModelTimeout</c> must leave for a retry (see <see cref="RequestTimeout"/>).
    /// </remarks>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Prices by model id (case-insensitive), e.g. <c>Model:Prices:gpt-4o-mini:InputPerMillionTokens=0.15</c>.</summary>
    /// <remarks>Cost budgets use <see cref="CostOf"/>; a model without an entry has no known cost.</remarks>
    public Dictionary<string, ModelPrice> Prices { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>What a call with the given token counts cost in US dollars, or null when <paramref name="modelId"/> has no price.</summary>
    public decimal? CostOf(string modelId, long inputTokens, long outputTokens)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(outputTokens);
        if (!Prices.TryGetValue(modelId, out var price))
        {
            return null;
        }

        return ((inputTokens * price.InputPerMillionTokens) + (outputTokens * price.OutputPerMillionTokens)) / 1_000_000m;
    }
}
