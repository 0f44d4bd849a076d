using System.Globalization;
using Microsoft.Extensions.Options;

namespace AgentGrains.Grains.Models;

/// <summary>Checks <see cref="ModelOptions"/> at start-up and says how to fix each problem.</summary>
internal sealed class ModelOptionsValidator : IValidateOptions<ModelOptions>
{
    // The per-attempt timeout is a Polly timeout strategy, which accepts 10 ms to 1 day.
    private static readonly TimeSpan MinRequestTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Check(options, options.Provider);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem with <paramref name="options"/> when used for <paramref name="provider"/>.</summary>
    public static List<string> Check(ModelOptions options, ModelProvider provider)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(provider))
        {
            failures.Add($"Model:Provider is {provider}; set it to Scripted (offline, the default) or OpenAI.");
            return failures;
        }

        if (provider == ModelProvider.OpenAI)
        {
            if (string.IsNullOrWhiteSpace(options.Name))
            {
                failures.Add("Model:Name is empty but Model:Provider is OpenAI; set it to the model id, e.g. gpt-4o-mini.");
            }

            if (string.IsNullOrWhiteSpace(options.ApiKey) && options.BaseUrl is null)
            {
                failures.Add($"Model:ApiKey is empty but Model:Provider is OpenAI; set Model:ApiKey or the {ModelOptions.ApiKeyFallbackKey} environment variable, or set Model:BaseUrl to an OpenAI-compatible server that needs no key.");
            }
        }

        if (options.EmbeddingModel is not null && (string.IsNullOrWhiteSpace(options.EmbeddingModel) || provider != ModelProvider.OpenAI))
        {
            failures.Add(provider != ModelProvider.OpenAI
                ? "Model:EmbeddingModel is set but Model:Provider is not OpenAI; embeddings come from the OpenAI-compatible API, so set Model:Provider=OpenAI (with Model:Name) or remove Model:EmbeddingModel."
                : "Model:EmbeddingModel is empty; set it to an embedding model id, e.g. text-embedding-3-small, or remove it for full-text recall alone.");
        }

        if (options.BaseUrl is { } baseUrl
            && (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"Model:BaseUrl is '{baseUrl}'; set it to an absolute http or https address including the version segment, e.g. http://localhost:11434/v1.");
        }

        if (options.RequestTimeout < MinRequestTimeout || options.RequestTimeout > MaxDuration)
        {
            failures.Add($"Model:RequestTimeout is {options.RequestTimeout}; set it to a duration between 00:00:00.010 and 1.00:00:00, such as 00:01:00.");
        }

        if (options.MaxRetries is < 0 or > 100)
        {
            failures.Add($"Model:MaxRetries is {options.MaxRetries.ToString(CultureInfo.InvariantCulture)}; set it between 0 (no retries) and 100, such as 4.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > MaxDuration)
        {
            failures.Add($"Model:RetryBaseDelay is {options.RetryBaseDelay}; set it to a duration between 00:00:00 and 1.00:00:00, such as 00:00:00.500.");
        }

        if (options.MaxRetryDelay < options.RetryBaseDelay || options.MaxRetryDelay > MaxDuration)
        {
            failures.Add($"Model:MaxRetryDelay is {options.MaxRetryDelay} with Model:RetryBaseDelay {options.RetryBaseDelay}; set it between Model:RetryBaseDelay and 1.00:00:00, such as 00:00:20.");
        }

        foreach (var (model, price) in options.Prices)
        {
            if (price is null || price.InputPerMillionTokens < 0 || price.OutputPerMillionTokens < 0)
            {
                failures.Add($"Model:Prices:{model} has a negative or missing price; set InputPerMillionTokens and OutputPerMillionTokens to US dollars (0 or more).");
            }
        }

        return failures;
    }

    /// <summary>
    /// Whether an agent's <c>ModelTimeout</c> leaves room for a retry after a hung attempt under these
    /// settings: null when it does, else the problem and how to fix it, as an agent catalog problem.
    /// </summary>
    /// <param name="options">The model settings, valid on their own.</param>
    /// <param name="agent">The agent's name, for the message.</param>
    /// <param name="modelTimeout">The agent's bound on all attempts of one model call.</param>
    /// <remarks>
    /// A hung attempt takes the whole <see cref="ModelOptions.RequestTimeout"/>. For its retry to be
    /// answered the call must also hold the wait before the retry (at most <see cref="ModelOptions.MaxRetryDelay"/>,
    /// counted whole: a <c>Retry-After</c> may ask for all of it) and a second attempt; otherwise the
    /// first request that hangs fails the run. Without retries one attempt must still end before the call.
    /// </remarks>
    public static string? CheckModelTimeout(ModelOptions options, string agent, TimeSpan modelTimeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        var attempt = options.RequestTimeout;
        var delay = options.MaxRetryDelay;
        if (options.MaxRetries == 0)
        {
            return attempt < modelTimeout
                ? null
                : $"agent '{agent}' has a ModelTimeout of {modelTimeout}, no longer than one attempt (Model:RequestTimeout {attempt}); set the agent's ModelTimeout above Model:RequestTimeout, or lower Model:RequestTimeout below {modelTimeout}";
        }

        var needed = attempt + delay + attempt;
        if (needed <= modelTimeout)
        {
            return null;
        }

        var fits = (modelTimeout - delay) / 2;
        var lower = fits >= MinRequestTimeout
            ? $"lower Model:RequestTimeout to at most {fits}"
            : "lower Model:RequestTimeout and Model:MaxRetryDelay so that twice the one plus the other is at most the ModelTimeout";
        var problem = attempt >= modelTimeout
            ? $"agent '{agent}' has a ModelTimeout of {modelTimeout}, no longer than one attempt (Model:RequestTimeout {attempt}), so a model request that hangs fails the run instead of being retried"
            : $"agent '{agent}' has a ModelTimeout of {modelTimeout}, too short to retry a model request that hangs: one attempt (Model:RequestTimeout {attempt}), the longest wait before a retry (Model:MaxRetryDelay {delay}) and a second attempt take {needed}";
        return $"{problem}; set the agent's ModelTimeout to {needed} or more, or {lower}";
    }
}
