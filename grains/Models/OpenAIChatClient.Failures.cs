using System.ClientModel;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly.Timeout;

namespace AgentGrains.Grains.Models;

public sealed partial class OpenAIChatClient
{
    // Enough of a non-JSON error body (an HTML proxy page, say) to recognise it.
    private const int MaxBodyExcerpt = 500;

    private static bool IsProviderFailure(Exception exception) =>
        exception is ClientResultException or TimeoutRejectedException or OperationCanceledException or HttpRequestException or IOException;

    private static bool IsTransient(Exception exception, CancellationToken callerToken) => exception switch
    {
        OperationCanceledException when callerToken.IsCancellationRequested => false,
        TimeoutRejectedException => true,
        // Not the caller's token: the SDK's NetworkTimeout ended the attempt.
        OperationCanceledException => true,
        // No response at all: the connection failed.
        ClientResultException { Status: 0 } => true,
        ClientResultException failure => IsTransientStatus(failure.Status)
            && !string.Equals(ReadError(failure).Code, "insufficient_quota", StringComparison.Ordinal),
        HttpRequestException or IOException => true,
        _ => false,
    };

    // 429 is a rate limit, 408 and 5xx an overloaded or restarting server; everything else
    // (400, 401, 403, 404, 422, ...) fails the same way however often it is sent.
    private static bool IsTransientStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    private static (int? Status, string Reason) Describe(Exception? exception) => exception switch
    {
        ClientResultException { Status: > 0 } failure => (failure.Status, ReadError(failure).Code ?? "error"),
        ClientResultException or HttpRequestException or IOException => (null, "connection failure"),
        TimeoutRejectedException or OperationCanceledException => (null, "timeout"),
        _ => (null, exception?.GetType().Name ?? "unknown"),
    };

    private static ProviderError ReadError(ClientResultException failure)
    {
        var response = failure.GetRawResponse();
        if (response is null)
        {
            return new ProviderError(null, null);
        }

        string body;
        try
        {
            body = response.Content.ToString();
        }
        catch (InvalidOperationException)
        {
            // The body was not buffered (a streamed response): only the status is known.
            return new ProviderError(null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            // OpenAI: {"error":{"message","type","code"}}; vLLM: {"object":"error","message","type","code"}; some: {"error":"text"}.
            var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e : root;
            if (error.ValueKind == JsonValueKind.String)
            {
                return new ProviderError(error.GetString(), null);
            }

            if (error.ValueKind == JsonValueKind.Object)
            {
                var code = Text(error, "code") ?? Text(error, "type");
                return new ProviderError(Text(error, "message"), code);
            }
        }
        catch (JsonException)
        {
            // Not JSON: the body itself is the message.
        }

        body = body.Trim();
        return new ProviderError(body.Length > MaxBodyExcerpt ? string.Concat(body.AsSpan(0, MaxBodyExcerpt), "…") : body, null);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    private TimeSpan? RetryAfter(Exception? exception, TimeProvider timeProvider)
    {
        if (exception is not ClientResultException failure || failure.GetRawResponse() is not { } response)
        {
            return null;
        }

        // OpenAI and Azure send retry-after-ms next to the standard header; it is the more precise one.
        if (response.Headers.TryGetValue("retry-after-ms", out var ms)
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        if (!response.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        // Seconds or an HTTP date (RFC 9110), parsed by the BCL's header parser.
        if (RetryConditionHeaderValue.TryParse(value, out var retryAfter))
        {
            var wait = retryAfter.Delta ?? (retryAfter.Date - timeProvider.GetUtcNow()) ?? TimeSpan.Zero;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        LogUnreadableRetryAfter(logger, value);
        return null;
    }

    private ModelException ToModelException(Exception exception, string model, int attempts)
    {
        var tries = attempts > 1 ? string.Create(CultureInfo.InvariantCulture, $" (gave up after {attempts} attempts)") : string.Empty;
        switch (exception)
        {
            case ClientResultException { Status: > 0 } failure:
            {
                var error = ReadError(failure);
                var text = string.IsNullOrWhiteSpace(error.Message) ? failure.GetRawResponse()?.ReasonPhrase ?? "no details" : error.Message;
                var code = error.Code is null ? string.Empty : $" ({error.Code})";
                var message = string.Create(CultureInfo.InvariantCulture, $"The model provider answered {failure.Status}{code}: {text}{tries}");
                return new ModelException(message, failure.Status, IsTransient(failure, CancellationToken.None), attempts, failure);
            }

            case TimeoutRejectedException or OperationCanceledException:
            {
                var message = string.Create(CultureInfo.InvariantCulture, $"The model provider did not answer for model '{model}' within Model:RequestTimeout ({options.RequestTimeout}){tries}.");
                return new ModelException(message, statusCode: null, isTransient: true, attempts, exception);
            }

            default:
            {
                var message = string.Create(CultureInfo.InvariantCulture, $"The model provider at {metadata.ProviderUri} could not be reached for model '{model}': {exception.Message}{tries}");
                return new ModelException(message, statusCode: null, isTransient: true, attempts, exception);
            }
        }
    }

    private readonly record struct ProviderError(string? Message, string? Code);
}
