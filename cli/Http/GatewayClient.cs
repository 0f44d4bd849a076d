using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AgentGrains.Cli.Http;

/// <summary>The gateway's HTTP API, as the CLI uses it; every failure becomes a one-line <see cref="CliException"/>.</summary>
internal sealed class GatewayClient : IDisposable
{
    /// <summary>The JSON the gateway speaks.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Beyond the gateway's own bound on a request (Gateway:MaxReplyWait, 30 s by default).
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    private readonly HttpClient http;

    /// <param name="gateway">The gateway's address.</param>
    /// <param name="handler">The HTTP handler (tests); a socket handler when null.</param>
    /// <param name="apiKey">The API key sent as <c>Authorization: Bearer</c>; none when null.</param>
    public GatewayClient(Uri gateway, HttpMessageHandler? handler = null, string? apiKey = null)
    {
        Gateway = gateway;
        http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = gateway,
            // Event streams stay open as long as their run; every other request has its own bound.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("agentgrains-cli", "1.0"));
        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey.Trim());
        }
    }

    /// <summary>The gateway's address.</summary>
    public Uri Gateway { get; }

    /// <summary>The address as people type it (no trailing slash).</summary>
    public string Display => Gateway.ToString().TrimEnd('/');

    /// <summary>Creates the session (or finds it); with <paramref name="userId"/>, for that user, whose long-term memory its agents use.</summary>
    public Task<SessionCreatedDto> CreateSessionAsync(string agent, string? sessionId, string? userId, CancellationToken cancellationToken) =>
        SendAsync<SessionCreatedDto>(HttpMethod.Post, "v1/sessions", new { agent, sessionId, userId }, idempotencyKey: null, cancellationToken);

    /// <summary>Sends a message without waiting for its reply: the run to follow.</summary>
    public Task<MessageAcceptedDto> SendMessageAsync(string sessionId, string text, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync<MessageAcceptedDto>(HttpMethod.Post, $"v1/sessions/{Uri.EscapeDataString(sessionId)}/messages?wait=false", new { text }, idempotencyKey, cancellationToken);

    public Task<RunDto> GetRunAsync(string runId, CancellationToken cancellationToken) =>
        SendAsync<RunDto>(HttpMethod.Get, $"v1/runs/{Uri.EscapeDataString(runId)}", body: null, idempotencyKey: null, cancellationToken);

    public Task<RunDto> DecideAsync(string runId, string callId, bool approve, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync<RunDto>(HttpMethod.Post, $"v1/runs/{Uri.EscapeDataString(runId)}/approvals/{Uri.EscapeDataString(callId)}", new { approve }, idempotencyKey, cancellationToken);

    public Task<ClusterDto> GetClusterAsync(CancellationToken cancellationToken) =>
        SendAsync<ClusterDto>(HttpMethod.Get, "v1/cluster", body: null, idempotencyKey: null, cancellationToken);

    public Task<AgentListDto> GetAgentsAsync(CancellationToken cancellationToken) =>
        SendAsync<AgentListDto>(HttpMethod.Get, "v1/agents", body: null, idempotencyKey: null, cancellationToken);

    public Task<SessionListDto> GetSessionsAsync(int limit, string? cursor, string? agent, CancellationToken cancellationToken)
    {
        var query = new StringBuilder().Append(CultureInfo.InvariantCulture, $"v1/sessions?limit={limit}");
        if (cursor is not null)
        {
            query.Append(CultureInfo.InvariantCulture, $"&cursor={Uri.EscapeDataString(cursor)}");
        }

        if (agent is not null)
        {
            query.Append(CultureInfo.InvariantCulture, $"&agent={Uri.EscapeDataString(agent)}");
        }

        return SendAsync<SessionListDto>(HttpMethod.Get, query.ToString(), body: null, idempotencyKey: null, cancellationToken);
    }

    /// <summary>A page of what agents remembered about a user, newest first.</summary>
    public Task<MemoryListDto> GetMemoriesAsync(string userId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var query = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{MemoriesPath(userId)}?limit={limit}");
        if (cursor is not null)
        {
            query.Append(CultureInfo.InvariantCulture, $"&cursor={Uri.EscapeDataString(cursor)}");
        }

        return SendAsync<MemoryListDto>(HttpMethod.Get, query.ToString(), body: null, idempotencyKey: null, cancellationToken);
    }

    /// <summary>Deletes one of a user's facts (a 404 when the user has no such fact).</summary>
    public Task DeleteMemoryAsync(string userId, string id, CancellationToken cancellationToken) =>
        SendForTextAsync(HttpMethod.Delete, $"{MemoriesPath(userId)}/{Uri.EscapeDataString(id)}", body: null, idempotencyKey: null, cancellationToken);

    /// <summary>Deletes every fact of a user.</summary>
    public Task<MemoriesDeletedDto> DeleteMemoriesAsync(string userId, CancellationToken cancellationToken) =>
        SendAsync<MemoriesDeletedDto>(HttpMethod.Delete, MemoriesPath(userId), body: null, idempotencyKey: null, cancellationToken);

    /// <summary>Opens a run's event stream after <paramref name="lastEventId"/>; the caller reads and disposes the response.</summary>
    public async Task<HttpResponseMessage> OpenEventsAsync(string runId, string? lastEventId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/runs/{Uri.EscapeDataString(runId)}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bound.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && Unreachable(ex) is { } failure)
        {
            throw failure;
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }

        return response;
    }

    /// <summary>The one-line error for a request that never got an answer; null when <paramref name="ex"/> is something else.</summary>
    public CliException? Unreachable(Exception ex) => ex switch
    {
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } =>
            new CliException($"cannot reach the gateway at {Display}: connection refused; start it with `dotnet run --project silo` or pass --gateway", transient: true),
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } =>
            new CliException($"cannot reach the gateway at {Display}: unknown host '{Gateway.Host}'; pass --gateway with the gateway's address", transient: true),
        HttpRequestException { InnerException: SocketException socket } =>
            new CliException($"cannot reach the gateway at {Display}: {socket.Message.ToLowerInvariant()}", transient: true),
        HttpRequestException http =>
            new CliException($"cannot reach the gateway at {Display}: {http.Message}", transient: true),
        OperationCanceledException =>
            new CliException($"the gateway at {Display} did not answer within {RequestTimeout.TotalSeconds:0} s", transient: true),
        IOException io =>
            new CliException($"the connection to the gateway at {Display} broke: {io.Message}", transient: true),
        _ => null,
    };

    public void Dispose() => http.Dispose();

    private static string MemoriesPath(string userId) => $"v1/users/{Uri.EscapeDataString(userId)}/memories";

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var text = await SendForTextAsync(method, path, body, idempotencyKey, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(text, Json)
                ?? throw new CliException($"the gateway at {Display} answered {method} /{path} with an empty body");
        }
        catch (JsonException ex)
        {
            throw new CliException($"the gateway at {Display} answered {method} /{path} with JSON the CLI does not understand: {ex.Message}");
        }
    }

    /// <summary>Sends a request; its answer's body as text when it succeeded.</summary>
    private async Task<string> SendForTextAsync(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, Json), Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(RequestTimeout);
        try
        {
            using var response = await http.SendAsync(request, bound.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            }

            return await response.Content.ReadAsStringAsync(bound.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not CliException && !cancellationToken.IsCancellationRequested && Unreachable(ex) is { } failure)
        {
            throw failure;
        }
    }

    private async Task<CliException> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        ProblemDto? problem = null;
        try
        {
            problem = text.Length == 0 ? null : JsonSerializer.Deserialize<ProblemDto>(text, Json);
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's page, say): the status says it.
        }

        var code = (int)response.StatusCode;
        var message = problem?.Detail ?? problem?.Title
            ?? (response.StatusCode == HttpStatusCode.NotFound
                ? $"{Display} answered 404 Not Found: is it an AgentGrains gateway?"
                : $"the gateway at {Display} answered {code.ToString(CultureInfo.InvariantCulture)} {response.ReasonPhrase}");
        var transient = response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
        return new CliException(message, transient: transient);
    }
}
