using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentGrains.Grains.Tools;

/// <summary>The built-in <c>notify</c> tool: POSTs a short message to a configured webhook, once per call.</summary>
/// <remarks>
/// <para>The body is <c>{"message","channel","sessionId","runId"}</c>; the header
/// <c>Idempotency-Key</c> carries <see cref="ToolContext.IdempotencyKey"/>. The engine may invoke one
/// call again after a crash, always with the same key, so a receiver that deduplicates by that
/// header shows each notification once. The tool does not retry by itself: a failed call goes back
/// to the model as an error, and the model decides.</para>
/// <para>An answer other than 2xx throws (<see cref="HttpRequestException"/> with the status and the
/// start of the body), which the registry turns into an <c>error:</c> result for the model.</para>
/// <para>Unless <see cref="NotifyToolOptions.AllowPrivateNetworks"/> is set, the HTTP client connects only
/// to public addresses, checked after the name is resolved (<see cref="WebhookAddressGuard"/>); a refused
/// address throws <see cref="WebhookAddressRefusedException"/> before anything is sent.</para>
/// </remarks>
public sealed class WebhookTool
{
    /// <summary>The tool's name.</summary>
    public const string Name = "notify";

    /// <summary>The name of the <see cref="HttpClient"/> the tool gets from <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "AgentGrains.Tools.Notify";

    /// <summary>The longest message accepted, in characters: a notification, not a document.</summary>
    public const int MaxMessageLength = 2_000;

    // Enough of an error body to say what went wrong without flooding the model's context.
    private const int MaxErrorBodyLength = 500;

    private static readonly JsonSerializerOptions PayloadOptions = new(JsonSerializerDefaults.Web);

    private readonly IHttpClientFactory httpClients;
    private readonly Uri url;

    /// <summary>Creates the tool's implementation.</summary>
    /// <param name="httpClients">Where the HTTP client named <see cref="HttpClientName"/> comes from.</param>
    /// <param name="options">The webhook's settings; <see cref="NotifyToolOptions.Url"/> must be set.</param>
    /// <exception cref="ArgumentException">The URL is missing or not an absolute http or https URL.</exception>
    public WebhookTool(IHttpClientFactory httpClients, NotifyToolOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClients);
        ArgumentNullException.ThrowIfNull(options);
        this.httpClients = httpClients;
        url = TryParseUrl(options.Url, out var parsed)
            ? parsed
            : throw new ArgumentException($"{NotifyToolOptions.SectionName}:Url must be an absolute http or https URL.", nameof(options));
    }

    /// <summary>Creates the <c>notify</c> tool; <see cref="NotifyToolOptions.NeedsConfirmation"/> overrides the declared policy.</summary>
    /// <exception cref="ArgumentException">The URL is missing or not an absolute http or https URL.</exception>
    public static AgentTool Create(IHttpClientFactory httpClients, NotifyToolOptions options)
    {
        var tool = AgentTool.FromMethod(new WebhookTool(httpClients, options).NotifyAsync);
        return tool.WithSettings(tool.Settings with { NeedsConfirmation = options.NeedsConfirmation });
    }

    /// <summary>Sends one notification, keyed by the call's idempotency key.</summary>
    /// <exception cref="ArgumentException">The message is empty or longer than <see cref="MaxMessageLength"/>.</exception>
    /// <exception cref="HttpRequestException">The webhook could not be reached or answered with a status other than 2xx.</exception>
    /// <exception cref="WebhookAddressRefusedException">The webhook's host resolved only to private, loopback or reserved addresses.</exception>
    [AgentTool(Name, TimeoutSeconds = 10, Risk = ToolRisk.Medium, SideEffects = true)]
    [Description("Sends a short notification message to the configured webhook")]
    public async Task<string> NotifyAsync(
        ToolContext context,
        [Description("The notification text, at most 2000 characters.")] string message,
        [Description("Optional channel or topic the receiver routes the message to, e.g. ops.")] string? channel = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(message))
        {
            throw new ArgumentException("the message is empty; write the text to send.", nameof(message));
        }

        if (message.Length > MaxMessageLength)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"the message has {message.Length} characters; shorten it to at most {MaxMessageLength}."),
                nameof(message));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new NotifyPayload(message, channel, context.SessionId, context.RunId), options: PayloadOptions),
        };
        request.Headers.Add("Idempotency-Key", context.IdempotencyKey);
        // From the factory per call, as it intends: handlers are pooled and recycled, so DNS changes are seen.
        var client = httpClients.CreateClient(HttpClientName);
        using var response = await SendAsync(client, request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > MaxErrorBodyLength)
            {
                body = body[..MaxErrorBodyLength] + "…";
            }

            throw new HttpRequestException(
                string.Create(CultureInfo.InvariantCulture, $"the webhook answered {(int)response.StatusCode} {response.ReasonPhrase}: {body}"),
                inner: null,
                response.StatusCode);
        }

        return string.Create(CultureInfo.InvariantCulture, $"notification sent (HTTP {(int)response.StatusCode}).");
    }

    /// <summary>Adds the <c>notify</c> tool to <paramref name="tools"/> when <c>Tools:Notify:Url</c> is set.</summary>
    /// <remarks>Configuration is known only once the container is built, so the tool is added where the registry is built.</remarks>
    internal static IEnumerable<AgentTool> AddIfConfigured(IEnumerable<AgentTool> tools, IServiceProvider services)
    {
        if (services.GetService<IConfiguration>() is null)
        {
            // A bare container (no host) has nothing to bind Tools:Notify from, so no webhook is configured.
            return tools;
        }

        var options = services.GetRequiredService<IOptions<NotifyToolOptions>>().Value;
        return string.IsNullOrWhiteSpace(options.Url)
            ? tools
            : tools.Append(Create(services.GetRequiredService<IHttpClientFactory>(), options));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is WebhookAddressRefusedException refused)
        {
            // The handler wraps it with the host and port; the model gets the guard's own words, not the URL.
            throw new WebhookAddressRefusedException(refused.Message);
        }
    }

    internal static bool TryParseUrl(string? value, [NotNullWhen(true)] out Uri? url) =>
        Uri.TryCreate(value, UriKind.Absolute, out url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);

    private sealed record NotifyPayload(
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("channel")] string? Channel,
        [property: JsonPropertyName("sessionId")] string SessionId,
        [property: JsonPropertyName("runId")] string RunId);
}
