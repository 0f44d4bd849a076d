using System.Text.Json;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Tools;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains.Models;

/// <summary>The real <see cref="OpenAIChatClient"/> (OpenAI SDK, Polly) against <see cref="FakeOpenAIServer"/> over HTTP.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "None")]
public sealed class OpenAIChatClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly RecordingLoggerProvider logs = new();
    private FakeOpenAIServer server = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private IEnumerable<RecordingLoggerProvider.LogEntry> Retries => logs.Entries.Where(static e => e.EventId.Id == 1);

    public async ValueTask InitializeAsync() => server = await FakeOpenAIServer.StartAsync();

    public async ValueTask DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task GetResponseAsync_TextReply_MapsTextModelIdsAndFinishReason()
    {
        server.Enqueue(FakeResponse.Text("Hello, Ada."));
        using var client = CreateClient();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "hi")], cancellationToken: Token);

        Assert.Equal("Hello, Ada.", response.Text);
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("test-model", response.ModelId);
        Assert.Equal("chatcmpl-fake-1", response.ResponseId);
        var request = Assert.Single(server.Requests);
        Assert.Equal("test-model", request.Model);
        Assert.Equal(["system", "user"], request.Messages.Select(m => m.Role));
        Assert.Equal(["Be brief.", "hi"], request.Messages.Select(m => m.Content));
        Assert.Equal("Bearer sk-test", request.Authorization);
        Assert.Empty(request.Tools);
    }

    [Fact]
    public async Task GetResponseAsync_Refusal_IsTheReplysText()
    {
        server.Enqueue(FakeResponse.Refused("I can't help with that."));
        using var client = CreateClient();

        var response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal("I can't help with that.", response.Text);
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
    }

    [Fact]
    public async Task GetResponseAsync_Usage_MappedToUsageDetails()
    {
        server.Enqueue(FakeResponse.Text("ok", new FakeUsage(PromptTokens: 120, CompletionTokens: 7)));
        using var client = CreateClient();

        var response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal(120, response.Usage?.InputTokenCount);
        Assert.Equal(7, response.Usage?.OutputTokenCount);
        Assert.Equal(127, response.Usage?.TotalTokenCount);
    }

    [Fact]
    public async Task GetResponseAsync_TwoToolCallsInOneReply_BothMappedWithArguments()
    {
        server.Enqueue(FakeResponse.Calls(
            [new FakeToolCall("calculator", """{"expression":"6*7"}""", "call_a"), new FakeToolCall("clock", "{}", "call_b")],
            new FakeUsage(30, 12)));
        using var client = CreateClient();

        var response = await client.GetResponseAsync("what is 6*7, and what time is it?", Tools(), Token);

        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Equal([("call_a", "calculator"), ("call_b", "clock")], calls.Select(c => (c.CallId, c.Name)));
        Assert.All(calls, c => Assert.Null(c.Exception));
        Assert.Equal("6*7", ((JsonElement)calls[0].Arguments!["expression"]!).GetString());
        Assert.Empty(calls[1].Arguments!);
    }

    [Fact]
    public async Task GetResponseAsync_InvalidJsonArguments_CallCarriesTheExceptionInsteadOfThrowing()
    {
        server.Enqueue(FakeResponse.Call("calculator", """{"expression": 6*7"""));
        using var client = CreateClient();

        var response = await client.GetResponseAsync("what is 6*7?", Tools(), Token);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal("calculator", call.Name);
        Assert.NotNull(call.Exception);
    }

    [Fact]
    public async Task GetResponseAsync_ToolHistoryAndOptions_SentInTheOpenAIWireFormat()
    {
        server.Enqueue(FakeResponse.Text("The answer is 42 and it is 04:05."));
        using var client = CreateClient();
        List<ChatMessage> history =
        [
            new(ChatRole.System, "Use tools."),
            new(ChatRole.User, "what is 6*7, and what time is it?"),
            new(ChatRole.Assistant, [
                new TextContent("Let me check."),
                new FunctionCallContent("call_a", "calculator", new Dictionary<string, object?> { ["expression"] = "6*7" }),
                new FunctionCallContent("call_b", "clock", new Dictionary<string, object?>()),
            ]),
            new(ChatRole.Tool, [new FunctionResultContent("call_a", "42")]),
            new(ChatRole.Tool, [new FunctionResultContent("call_b", "2031-02-03T04:05:06Z")]),
        ];
        var options = Tools();
        options.Temperature = 0.25f;
        options.MaxOutputTokens = 64;
        options.ModelId = "other-model";

        await client.GetResponseAsync(history, options, Token);

        var request = Assert.Single(server.Requests);
        Assert.Equal("other-model", request.Model);
        Assert.Equal(0.25, request.Temperature!.Value, precision: 3);
        Assert.Equal(64, request.MaxTokens);
        Assert.Equal(["system", "user", "assistant", "tool", "tool"], request.Messages.Select(m => m.Role));
        var assistant = request.Messages[2];
        Assert.Equal("Let me check.", assistant.Content);
        Assert.Equal([("call_a", "calculator"), ("call_b", "clock")], assistant.ToolCalls.Select(c => (c.Id, c.Name)));
        Assert.Equal("6*7", JsonDocument.Parse(assistant.ToolCalls[0].Arguments).RootElement.GetProperty("expression").GetString());
        Assert.Equal(("call_a", "42"), (request.Messages[3].ToolCallId, request.Messages[3].Content));
        Assert.Equal(("call_b", "2031-02-03T04:05:06Z"), (request.Messages[4].ToolCallId, request.Messages[4].Content));
        Assert.Equal(["calculator", "clock"], request.Tools.Select(t => t.Name));
        Assert.False(string.IsNullOrEmpty(request.Tools[0].Description));
        Assert.Contains("\"expression\"", request.Tools[0].Parameters, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_429TwiceThenSuccess_ThreeRequestsAndTheReply()
    {
        server.Enqueue(
            FakeResponse.Error(429, "Rate limit reached.", "rate_limit_exceeded"),
            FakeResponse.Error(429, "Rate limit reached.", "rate_limit_exceeded"),
            FakeResponse.Text("finally"));
        using var client = CreateClient();

        var response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal("finally", response.Text);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(2, Retries.Count());
        Assert.All(Retries, e => Assert.Contains("429", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetResponseAsync_RetryAfter_WaitsWhatTheProviderAsked()
    {
        server.Enqueue(FakeResponse.Error(429, "Slow down.", "rate_limit_exceeded", retryAfter: TimeSpan.FromSeconds(1)), FakeResponse.Text("ok"));
        using var client = CreateClient(o => o.MaxRetryDelay = TimeSpan.FromSeconds(10));

        var response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal("ok", response.Text);
        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        // The backoff alone would be about 1 ms: a gap near a second is the header's doing.
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(900), $"The retry came {(requests[1].ReceivedAt - requests[0].ReceivedAt).TotalMilliseconds} ms after the 429.");
        Assert.Contains("retrying in 1000 ms", Assert.Single(Retries).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_RetryAfterLongerThanMaxRetryDelay_WaitsOnlyMaxRetryDelay()
    {
        server.Enqueue(FakeResponse.Error(503, "Overloaded.", retryAfter: TimeSpan.FromMinutes(2)), FakeResponse.Text("ok"));
        using var client = CreateClient(o => o.MaxRetryDelay = TimeSpan.FromMilliseconds(50));

        var response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal("ok", response.Text);
        Assert.Contains("retrying in 50 ms", Assert.Single(Retries).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_500UntilRetriesRunOut_TransientModelExceptionAfterOnePlusMaxRetries()
    {
        server.DefaultResponder = static _ => FakeResponse.Error(500, "The server had an error while processing your request.");
        using var client = CreateClient(o => o.MaxRetries = 3);

        var error = await Assert.ThrowsAsync<ModelException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.True(error.IsTransient);
        Assert.Equal(500, error.StatusCode);
        Assert.Equal(4, error.Attempts);
        Assert.Equal(4, server.Requests.Count);
        Assert.Contains("The server had an error while processing your request.", error.Message, StringComparison.Ordinal);
        Assert.Contains("4 attempts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_WrongApiKey_PermanentModelExceptionWithTheProvidersMessageAndNoRetry()
    {
        server.RequiredApiKey = "sk-right";
        using var client = CreateClient(o => o.ApiKey = "sk-wrong-key");

        var error = await Assert.ThrowsAsync<ModelException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.False(error.IsTransient);
        Assert.Equal(401, error.StatusCode);
        Assert.Equal(1, error.Attempts);
        Assert.Single(server.Requests);
        Assert.StartsWith("The model provider answered 401 (invalid_api_key): Incorrect API key provided", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-wrong-key", error.Message, StringComparison.Ordinal);
        Assert.Empty(Retries);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task GetResponseAsync_PermanentStatus_OneRequestNotTransient(int status)
    {
        server.DefaultResponder = _ => FakeResponse.Error(status, "No.");
        using var client = CreateClient();

        var error = await Assert.ThrowsAsync<ModelException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.Equal((status, false, 1), (error.StatusCode!.Value, error.IsTransient, error.Attempts));
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task GetResponseAsync_QuotaExhausted429_NotRetried()
    {
        server.DefaultResponder = static _ => FakeResponse.Error(429, "You exceeded your current quota.", "insufficient_quota");
        using var client = CreateClient();

        var error = await Assert.ThrowsAsync<ModelException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.False(error.IsTransient);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task GetResponseAsync_AttemptHangsPastRequestTimeout_RetriedAndAnswered()
    {
        server.Enqueue(FakeResponse.Hang(), FakeResponse.Text("awake"));
        using var client = CreateClient(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));

        var response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal("awake", response.Text);
        Assert.Equal(2, server.Requests.Count);
        Assert.Contains("timeout", Assert.Single(Retries).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_EveryAttemptHangs_TransientModelExceptionWithoutStatus()
    {
        server.DefaultResponder = static _ => FakeResponse.Hang();
        using var client = CreateClient(o => (o.RequestTimeout, o.MaxRetries) = (TimeSpan.FromMilliseconds(200), 1));

        var error = await Assert.ThrowsAsync<ModelException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.Equal((null, true, 2), (error.StatusCode, error.IsTransient, error.Attempts));
        Assert.Equal(2, server.Requests.Count);
        Assert.Contains("Model:RequestTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_CallerCancels_OperationCanceledAndNoRetry()
    {
        server.Enqueue(FakeResponse.Hang(), FakeResponse.Text("too late"));
        using var client = CreateClient();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var call = client.GetResponseAsync("hi", cancellationToken: cancellation.Token);
        await server.WaitForRequestsAsync(1, Bound);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(server.Requests);
        Assert.Equal(1, server.Pending);
        Assert.Empty(Retries);
    }

    [Fact]
    public async Task GetResponseAsync_ServerUnreachable_TransientModelExceptionAfterRetries()
    {
        var address = server.BaseUrl;
        await server.DisposeAsync();
        using var client = CreateClient(o => (o.BaseUrl, o.MaxRetries) = (address, 2));

        var error = await Assert.ThrowsAsync<ModelException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.Equal((null, true, 3), (error.StatusCode, error.IsTransient, error.Attempts));
        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_EveryThirdRequestFails_RetriesExactlyTheInjectedFaults()
    {
        server.InjectTransientErrors(every: 3);
        server.DefaultResponder = static request => FakeResponse.Text($"echo: {request.LastContent}");
        using var client = CreateClient();

        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal($"echo: call {i}", (await client.GetResponseAsync($"call {i}", cancellationToken: Token)).Text);
        }

        // Requests 3 and 6 fail: 5 calls take 7 requests.
        Assert.Equal(2, server.InjectedFaults);
        Assert.Equal(7, server.Requests.Count);
        Assert.Equal(2, Retries.Count());
    }

    [Fact]
    public async Task GetResponseAsync_SeededThirtyPercent429s_EveryFaultRetriedOnce()
    {
        server.InjectTransientErrors(rate: 0.3, seed: 42);
        server.DefaultResponder = static request => FakeResponse.Text($"echo: {request.LastContent}");
        using var client = CreateClient();

        for (var i = 1; i <= 20; i++)
        {
            Assert.Equal($"echo: call {i}", (await client.GetResponseAsync($"call {i}", cancellationToken: Token)).Text);
        }

        Assert.InRange(server.InjectedFaults, 1, 19);
        Assert.Equal(20 + server.InjectedFaults, server.Requests.Count);
        Assert.Equal(server.InjectedFaults, Retries.Count());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_TextReply_OneUpdateWithTextAndUsage()
    {
        server.Enqueue(FakeResponse.Text("streamed", new FakeUsage(3, 1)));
        using var client = CreateClient();

        var updates = await client.GetStreamingResponseAsync("hi", cancellationToken: Token).ToListAsync(Token);

        var response = updates.ToChatResponse();
        Assert.Equal("streamed", response.Text);
        Assert.Equal(4, response.Usage?.TotalTokenCount);
        Assert.Single(server.Requests);
    }

    private static ChatOptions Tools() => new()
    {
        Tools = [CalculatorTool.Create().Function, ClockTool.Create(TimeProvider.System).Function],
    };

    private OpenAIChatClient CreateClient(Action<ModelOptions>? configure = null)
    {
        var options = new ModelOptions
        {
            Provider = ModelProvider.OpenAI,
            Name = "test-model",
            BaseUrl = server.BaseUrl,
            ApiKey = "sk-test",
            RequestTimeout = TimeSpan.FromSeconds(20),
            // Short delays: these tests count retries, they do not measure backoff.
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(options);
        return new OpenAIChatClient(options, TimeProvider.System, logs.CreateLogger<OpenAIChatClient>());
    }
}
