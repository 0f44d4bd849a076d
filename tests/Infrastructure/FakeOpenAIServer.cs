using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>
/// An OpenAI-compatible chat completions server on real Kestrel (loopback, a free port), scripted by
/// the test: point a real client at <see cref="BaseUrl"/>, queue what it should answer, then assert on
/// what it received.
/// </summary>
/// <remarks>
/// <para>Each <c>POST /v1/chat/completions</c> is recorded (<see cref="Requests"/>), then answered by,
/// in order: a 401 when <see cref="RequiredApiKey"/> is set and not sent; an injected transient fault
/// (<see cref="InjectTransientErrors(int, int)"/>); the next queued response (<see cref="Enqueue"/>); the
/// <see cref="DefaultResponder"/>; otherwise a 400 saying nothing was scripted (not retried, so the
/// test fails at once and says why).</para>
/// <para>Thread-safe: concurrent clients may call it; request numbers follow arrival order.
/// Disposing releases hanging requests and stops the server.</para>
/// </remarks>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly Queue<FakeResponse> script = new();
    private readonly List<FakeChatRequest> requests = [];
    private readonly List<string> embedded = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> waiters = [];
    private readonly CancellationTokenSource stopping = new();
    private WebApplication? app;
    private Func<int, bool>? fault;
    private int faultStatus;
    private int injectedFaults;
    private bool disposed;

    private FakeOpenAIServer()
    {
    }

    /// <summary>The API base address to give a client, e.g. <c>http://127.0.0.1:41234/v1</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The configuration that points a silo's model at this server: the real OpenAI client, model <c>test-model</c>, key <c>test</c>.</summary>
    public IReadOnlyDictionary<string, string?> ModelSettings => new Dictionary<string, string?>
    {
        ["Model:Provider"] = "OpenAI",
        ["Model:Name"] = "test-model",
        ["Model:BaseUrl"] = BaseUrl.ToString(),
        ["Model:ApiKey"] = "test",
    };

    /// <summary>When set, requests without <c>Authorization: Bearer {key}</c> get OpenAI's 401 <c>invalid_api_key</c>.</summary>
    public string? RequiredApiKey { get; set; }

    /// <summary>Answers <c>POST /v1/embeddings</c>: the vector of each input text; without it, embeddings get a 404.</summary>
    public Func<string, float[]>? Embeddings { get; set; }

    /// <summary>The texts embedded so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<string> EmbeddedTexts
    {
        get
        {
            lock (gate)
            {
                return [.. embedded];
            }
        }
    }

    /// <summary>Answers requests when nothing is queued, from the request itself (e.g. echo its last message).</summary>
    public Func<FakeChatRequest, FakeResponse>? DefaultResponder { get; set; }

    /// <summary>Every request received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<FakeChatRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    /// <summary>How many requests were answered with an injected fault so far.</summary>
    /// <remarks>With every call eventually succeeding, requests received = calls made + injected faults.</remarks>
    public int InjectedFaults
    {
        get
        {
            lock (gate)
            {
                return injectedFaults;
            }
        }
    }

    /// <summary>How many queued responses have not been served yet.</summary>
    public int Pending
    {
        get
        {
            lock (gate)
            {
                return script.Count;
            }
        }
    }

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<FakeOpenAIServer> StartAsync()
    {
        var server = new FakeOpenAIServer();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        app.MapPost("/v1/embeddings", server.HandleEmbeddingsAsync);
        await app.StartAsync();
        server.app = app;
        server.BaseUrl = new Uri(app.Urls.First().TrimEnd('/') + "/v1");
        return server;
    }

    /// <summary>Queues responses; each request takes the next one.</summary>
    public void Enqueue(params FakeResponse[] responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        lock (gate)
        {
            foreach (var response in responses)
            {
                script.Enqueue(response);
            }
        }
    }

    /// <summary>Answers every <paramref name="every"/>-th request the server receives (request number n, 2n, 3n…) with a transient error instead.</summary>
    /// <remarks>Counting is over all requests, retries included, so the faults a sequence of calls meets is computable in advance.</remarks>
    public void InjectTransientErrors(int every, int statusCode = 429)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        SetFault(number => number % every == 0, statusCode);
    }

    /// <summary>Answers a seeded, deterministic share (<paramref name="rate"/>, e.g. 0.3) of requests with a transient error instead.</summary>
    /// <remarks>Whether request number n fails depends only on the seed and n, so a rerun meets the same faults.</remarks>
    public void InjectTransientErrors(double rate, int seed, int statusCode = 429)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rate, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rate, 1);
        // Random(int) with a seed is the legacy generator, stable across runs and runtimes.
#pragma warning disable CA5394 // Test faults, not security: determinism is the point.
        SetFault(number => new Random(unchecked((seed * 7919) + number)).NextDouble() < rate, statusCode);
#pragma warning restore CA5394
    }

    /// <summary>Stops injecting faults.</summary>
    public void StopInjectingFaults() => SetFault(null, 0);

    /// <summary>Waits until at least <paramref name="count"/> requests have arrived; returns them.</summary>
    /// <exception cref="TimeoutException">Fewer arrived within <paramref name="timeout"/>; the message says how many did.</exception>
    public async Task<IReadOnlyList<FakeChatRequest>> WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        TaskCompletionSource reached;
        lock (gate)
        {
            if (requests.Count >= count)
            {
                return [.. requests];
            }

            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((count, reached));
        }

        try
        {
            await reached.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The fake OpenAI server expected {count} requests within {timeout.TotalSeconds:0.#} s but received {Requests.Count}.");
        }

        return Requests;
    }

    /// <summary>Releases hanging requests and stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await stopping.CancelAsync();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        stopping.Dispose();
    }

    private void SetFault(Func<int, bool>? decide, int statusCode)
    {
        lock (gate)
        {
            fault = decide;
            faultStatus = statusCode;
        }
    }

    /// <summary>OpenAI's embeddings response for each input (a string or an array of strings), base64 or float as asked.</summary>
    private async Task HandleEmbeddingsAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var input = body.RootElement.GetProperty("input");
        var texts = input.ValueKind == JsonValueKind.Array ? [.. input.EnumerateArray().Select(static e => e.GetString() ?? string.Empty)] : new List<string> { input.GetString() ?? string.Empty };
        var base64 = body.RootElement.TryGetProperty("encoding_format", out var format) && format.GetString() == "base64";
        if (Embeddings is not { } embed)
        {
            context.Response.StatusCode = 404;
            return;
        }

        lock (gate)
        {
            embedded.AddRange(texts);
        }

        var data = texts.Select((text, index) =>
        {
            var vector = embed(text);
            object value = base64 ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan())) : vector;
            return new Dictionary<string, object> { ["object"] = "embedding", ["index"] = index, ["embedding"] = value };
        }).ToList();
        await context.Response.WriteAsJsonAsync(
            new Dictionary<string, object>
            {
                ["object"] = "list",
                ["data"] = data,
                ["model"] = body.RootElement.GetProperty("model").GetString() ?? string.Empty,
                ["usage"] = new Dictionary<string, int> { ["prompt_tokens"] = texts.Count, ["total_tokens"] = texts.Count },
            },
            context.RequestAborted);
    }

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        FakeResponse? response = null;
        FakeChatRequest request;
        lock (gate)
        {
            var number = requests.Count + 1;
            try
            {
                request = Parse(number, body, context.Request.Headers.Authorization.ToString(), TimeProvider.System.GetUtcNow());
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
            {
                request = new FakeChatRequest(number, string.Empty, [], [], null, null, null, body, TimeProvider.System.GetUtcNow());
                response = FakeResponse.Error(400, $"The fake server could not parse the request body: {e.Message}");
            }

            requests.Add(request);
            foreach (var waiter in waiters.Where(w => requests.Count >= w.Count).ToList())
            {
                waiters.Remove(waiter);
                waiter.Reached.TrySetResult();
            }

            if (response is null && RequiredApiKey is { } key && request.Authorization != $"Bearer {key}")
            {
                response = FakeResponse.Error(
                    401,
                    $"Incorrect API key provided: {Mask(request.Authorization)}. You can find your API key at https://platform.openai.com/account/api-keys.",
                    code: "invalid_api_key");
            }

            if (response is null && fault is { } decide && decide(number))
            {
                injectedFaults++;
                response = FakeResponse.Error(faultStatus, "Rate limit reached for requests (injected by the fake server).", code: faultStatus == 429 ? "rate_limit_exceeded" : null);
            }

            if (response is null && script.TryDequeue(out var next))
            {
                response = next;
            }
        }

        response ??= DefaultResponder?.Invoke(request)
            ?? FakeResponse.Error(400, $"The fake server has no response for request {request.Number}; enqueue one or set DefaultResponder.", code: "fake_server_unscripted");
        await WriteAsync(context, request, response);
    }

    private async Task WriteAsync(HttpContext context, FakeChatRequest request, FakeResponse response)
    {
        if (response.Hold is { } hold)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
            try
            {
                await hold.WaitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // The client gave up (its silo was killed, its run cancelled): nobody waits for the answer.
                context.Abort();
                return;
            }
        }

        switch (response.Kind)
        {
            case FakeResponseKind.Hang:
                using (var hang = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token))
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, hang.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // The client gave up or the server is stopping: nobody is waiting for an answer.
                    }
                }

                context.Abort();
                return;

            case FakeResponseKind.Error:
                context.Response.StatusCode = response.StatusCode;
                if (response.RetryAfter is { } retryAfter)
                {
                    context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }

                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(response.ErrorBody ?? string.Empty, context.RequestAborted);
                return;

            default:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(Completion(request, response), context.RequestAborted);
                return;
        }
    }

    private static byte[] Completion(FakeChatRequest request, FakeResponse response)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", $"chatcmpl-fake-{request.Number.ToString(CultureInfo.InvariantCulture)}");
            json.WriteString("object", "chat.completion");
            json.WriteNumber("created", request.ReceivedAt.ToUnixTimeSeconds());
            json.WriteString("model", request.Model);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            json.WriteString("content", response.Content);
            json.WriteString("refusal", response.Refusal);
            if (response.ToolCalls.Count > 0)
            {
                json.WriteStartArray("tool_calls");
                for (var i = 0; i < response.ToolCalls.Count; i++)
                {
                    var call = response.ToolCalls[i];
                    json.WriteStartObject();
                    json.WriteString("id", call.Id ?? $"call_{request.Number.ToString(CultureInfo.InvariantCulture)}_{(i + 1).ToString(CultureInfo.InvariantCulture)}");
                    json.WriteString("type", "function");
                    json.WriteStartObject("function");
                    json.WriteString("name", call.Name);
                    json.WriteString("arguments", call.Arguments);
                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteNull("logprobs");
            json.WriteString("finish_reason", response.FinishReason ?? (response.ToolCalls.Count > 0 ? "tool_calls" : "stop"));
            json.WriteEndObject();
            json.WriteEndArray();
            if (response.Usage is { } usage)
            {
                json.WriteStartObject("usage");
                json.WriteNumber("prompt_tokens", usage.PromptTokens);
                json.WriteNumber("completion_tokens", usage.CompletionTokens);
                json.WriteNumber("total_tokens", usage.PromptTokens + usage.CompletionTokens);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static FakeChatRequest Parse(int number, string body, string? authorization, DateTimeOffset receivedAt)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var messages = new List<FakeChatMessage>();
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            var calls = new List<FakeToolCall>();
            if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in toolCalls.EnumerateArray())
                {
                    var function = call.GetProperty("function");
                    calls.Add(new FakeToolCall(
                        function.GetProperty("name").GetString()!,
                        function.TryGetProperty("arguments", out var arguments) ? arguments.GetString() ?? string.Empty : string.Empty,
                        call.TryGetProperty("id", out var id) ? id.GetString() : null));
                }
            }

            messages.Add(new FakeChatMessage(
                message.GetProperty("role").GetString()!,
                ContentText(message),
                message.TryGetProperty("tool_call_id", out var callId) ? callId.GetString() : null,
                calls));
        }

        var tools = new List<FakeTool>();
        if (root.TryGetProperty("tools", out var offered) && offered.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in offered.EnumerateArray())
            {
                var function = tool.GetProperty("function");
                tools.Add(new FakeTool(
                    function.GetProperty("name").GetString()!,
                    function.TryGetProperty("description", out var description) ? description.GetString() : null,
                    function.TryGetProperty("parameters", out var parameters) ? parameters.GetRawText() : null));
            }
        }

        double? temperature = root.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
        int? maxTokens = root.TryGetProperty("max_completion_tokens", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32()
            : root.TryGetProperty("max_tokens", out var legacy) && legacy.ValueKind == JsonValueKind.Number ? legacy.GetInt32()
            : null;
        return new FakeChatRequest(
            number,
            root.GetProperty("model").GetString()!,
            messages,
            tools,
            temperature,
            maxTokens,
            string.IsNullOrEmpty(authorization) ? null : authorization,
            body,
            receivedAt);
    }

    // Content is a string, or an array of parts of which the text ones count.
    private static string? ContentText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return null;
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString(),
            JsonValueKind.Array => string.Concat(content.EnumerateArray()
                .Where(static p => p.TryGetProperty("type", out var type) && type.GetString() == "text")
                .Select(static p => p.GetProperty("text").GetString())),
            _ => null,
        };
    }

    private static string Mask(string? authorization)
    {
        var key = authorization?.StartsWith("Bearer ", StringComparison.Ordinal) == true ? authorization[7..] : authorization ?? string.Empty;
        return key.Length <= 4 ? "****" : $"{key[..2]}****{key[^2..]}";
    }
}
